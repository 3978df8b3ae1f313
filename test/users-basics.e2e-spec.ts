import { createSdk, request } from './support/clients.js';
import { startTestServer, type TestServer } from './support/test-server.js';

describe('users basics', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('creates a user through the SDK and reads it back', async () => {
    const sdk = createSdk(server.baseUrl);
    const created = await sdk.POST('/api/users', { body: { username: 'alice', password: 'secret-1' } });
    expect(created.response.status).toBe(200);
    expect(created.data).toMatchObject({ username: 'alice', hasPassword: true });
    const fetched = await request(server.baseUrl, 'GET', `/api/users/${created.data!.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.data);
  });
});
