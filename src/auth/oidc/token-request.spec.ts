import { OidcError } from './oidc-error.js';
import { readTokenRequest } from './token-request.js';

const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

function oauthError(body: unknown, authorization?: string): { error: string; description: string } {
  try {
    readTokenRequest(body, authorization);
  } catch (error) {
    if (error instanceof OidcError) return { error: error.error, description: error.description };
    throw error;
  }
  throw new Error('expected an OidcError');
}

describe('readTokenRequest', () => {
  const form = { grant_type: 'client_credentials', resource: 'https://default.logto.app/api', scope: 'all' };

  it('reads credentials from the body', () => {
    expect(readTokenRequest({ ...form, client_id: 'app', client_secret: 's3cret' }, undefined)).toEqual({
      grantType: 'client_credentials',
      clientId: 'app',
      clientSecret: 's3cret',
      resource: 'https://default.logto.app/api',
      scope: 'all',
    });
  });

  it('reads form-encoded credentials from an HTTP Basic header', () => {
    const request = readTokenRequest(form, basic('my%20app', 'p%3Ass+word'));
    expect(request).toMatchObject({ clientId: 'my app', clientSecret: 'p:ss word' });
  });

  it('accepts the same client_id in the body alongside Basic', () => {
    expect(readTokenRequest({ ...form, client_id: 'app' }, basic('app', 'x')).clientId).toBe('app');
  });

  it.each<[string, unknown, string | undefined, string, string]>([
    ['no credentials', form, undefined, 'invalid_request', 'no client authentication mechanism provided'],
    [
      'a body client_id without secret',
      { ...form, client_id: 'app' },
      undefined,
      'invalid_request',
      'no client authentication mechanism provided',
    ],
    ['Basic with a different body client_id', { ...form, client_id: 'other' }, basic('app', 'x'), 'invalid_request', 'client_id mismatch'],
    [
      'Basic plus a body secret',
      { ...form, client_secret: 'x' },
      basic('app', 'x'),
      'invalid_request',
      'client authentication must only be provided using one mechanism',
    ],
    [
      'a non-Basic Authorization header',
      form,
      'Bearer abc',
      'invalid_request',
      'only Basic client authentication is supported in the Authorization header',
    ],
    [
      'Basic without a colon',
      form,
      `Basic ${Buffer.from('nocolon').toString('base64')}`,
      'invalid_request',
      'invalid Authorization header value format',
    ],
    ['no grant_type', { client_id: 'a', client_secret: 'b' }, undefined, 'invalid_request', "missing required parameter 'grant_type'"],
    [
      'a repeated parameter',
      { ...form, grant_type: ['client_credentials', 'x'], client_id: 'a', client_secret: 'b' },
      undefined,
      'invalid_request',
      "'grant_type' must be a single string",
    ],
    ['a JSON array body', [form], undefined, 'invalid_request', 'the request body must be a form or a JSON object'],
  ])('rejects %s', (_case, body, authorization, error, description) => {
    expect(oauthError(body, authorization)).toEqual({ error, description });
  });
});

describe('OidcError', () => {
  it("renders RFC 6749's fields with Logto's code and message", () => {
    expect(new OidcError('invalid_client', 'client authentication failed').toBody()).toEqual({
      code: 'oidc.invalid_client',
      message: 'client authentication failed',
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
  });
});
