import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { BEARER_SECURITY_NAME } from './common/auth/auth.decorators.js';
import { ERROR_CODES, type ErrorCode } from './common/errors/error-codes.js';
import { OidcErrorBodyDto } from './auth/oidc/dto/oidc.dto.js';
import { ErrorBodyDto, MalformedJsonBodyDto } from './common/errors/error-body.dto.js';
import { OAUTH_ERROR_ROUTES } from './common/http/error-mapping.js';

export const OPENAPI_JSON_PATH = 'api/swagger.json';
export const SWAGGER_UI_PATH = 'api/docs';

export function buildOpenApiDocument(app: INestApplication, endpoint: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Roster Management API')
    .setDescription(
      "User management wire-compatible with Logto's Management API (users). " +
        'Every `/api` route except `/api/status`, `/api/swagger.json` and `/api/docs` needs a bearer token from `POST /oidc/token`. ' +
        'Errors are `{ code, message, data?, details? }`; timestamps are epoch milliseconds.',
    )
    .setVersion(process.env.npm_package_version ?? '0.1.0')
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addServer(endpoint)
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from `POST /oidc/token` (client credentials).' },
      BEARER_SECURITY_NAME,
    )
    .build();
  return withPublicSecurity(
    withOAuthErrorBodies(withSharedResponses(SwaggerModule.createDocument(app, config, { extraModels: [MalformedJsonBodyDto] }))),
  );
}

type PathItemObject = OpenAPIObject['paths'][string];
type OperationObject = NonNullable<PathItemObject['get']>;
type ResponseObject = Exclude<NonNullable<OperationObject['responses'][string]>, { $ref: string }>;

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };
/** Routes that never touch the database, so never answer 503. */
const WITHOUT_DATABASE = new Set(['/api/status/live', '/oidc/.well-known/openid-configuration']);

function errorResponse(code: ErrorCode, headers?: ResponseObject['headers']): ResponseObject {
  return {
    description: `\`${code}\`: ${ERROR_CODES[code].message}`,
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBodyDto) } } },
    ...(headers ? { headers } : {}),
  };
}

/** Adds `code` to the operation's answers for its status, beside the codes already listed there. */
function addErrorCode(responses: OperationObject['responses'], code: ErrorCode): void {
  const status = String(ERROR_CODES[code].status);
  const existing = responses[status] as ResponseObject | undefined;
  if (!existing) {
    responses[status] = errorResponse(code);
  } else if (!existing.description.includes(`\`${code}\``)) {
    existing.description = `${existing.description}<br>${errorResponse(code).description}`;
  }
}

/** A JSON body that does not parse is answered `{ message }` without `code` (Logto's answer). */
function documentMalformedJson(responses: OperationObject['responses']): void {
  addErrorCode(responses, 'guard.invalid_input');
  const badRequest = responses['400'] as ResponseObject;
  const schemas = [{ $ref: getSchemaPath(ErrorBodyDto) }, { $ref: getSchemaPath(MalformedJsonBodyDto) }];
  badRequest.content = { 'application/json': { schema: { anyOf: schemas } } };
  badRequest.description = `${badRequest.description}<br>Malformed JSON: \`{ message }\` only, without \`code\`.`;
}

function readsPathOrQuery({ parameters = [] }: OperationObject): boolean {
  return parameters.some((parameter) => 'in' in parameter && (parameter.in === 'path' || parameter.in === 'query'));
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The item's operations with the route each answers, as `METHOD /path`. */
function routesOf(path: string, item: PathItemObject): { route: string; operation: OperationObject }[] {
  return METHODS.flatMap((method) => {
    const operation = item[method];
    return operation ? [{ route: `${method.toUpperCase()} ${path}`, operation }] : [];
  });
}

function operationsOf(item: PathItemObject): OperationObject[] {
  return METHODS.map((method) => item[method]).filter((operation) => operation !== undefined);
}

/**
 * Answers that come from the platform rather than a handler, added to every operation they apply
 * to: 400 wherever a path or query parameter is read, 413 and 415 wherever a body is read, 503 with Retry-After wherever the database is, and the
 * Retry-After header on every 429.
 */
function withSharedResponses(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const { route, operation } of routesOf(path, item)) {
      const { responses, requestBody } = operation;
      // The router refuses bad percent-encoding in a path, the validation pipe NUL in a query value.
      if (readsPathOrQuery(operation)) addErrorCode(responses, 'guard.invalid_input');
      const readsJson = requestBody !== undefined && 'content' in requestBody && requestBody.content['application/json'] !== undefined;
      // The token endpoint's malformed-JSON answer has the OAuth fields too (withOAuthErrorBodies).
      if (readsJson && !OAUTH_ERROR_ROUTES.has(route)) documentMalformedJson(responses);
      if (requestBody) {
        responses['413'] ??= errorResponse('request.entity_too_large');
        responses['415'] ??= errorResponse('request.unsupported_media_type');
      }
      if (!WITHOUT_DATABASE.has(path)) responses['503'] ??= errorResponse('service.unavailable', RETRY_AFTER);
      const tooMany = responses['429'] as ResponseObject | undefined;
      if (tooMany) tooMany.headers = { ...tooMany.headers, ...RETRY_AFTER };
      const unavailable = responses['503'] as ResponseObject | undefined;
      if (unavailable) unavailable.headers = { ...unavailable.headers, ...RETRY_AFTER };
    }
  }
  return document;
}

/** On the token endpoint every 4xx body also carries RFC 6749's fields (see `toErrorResponseFor`). */
function withOAuthErrorBodies(document: OpenAPIObject): OpenAPIObject {
  const oauthSchema = { $ref: getSchemaPath(OidcErrorBodyDto) };
  for (const [path, item] of Object.entries(document.paths)) {
    const oauthOperations = routesOf(path, item).filter(({ route }) => OAUTH_ERROR_ROUTES.has(route));
    for (const { operation } of oauthOperations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const isClientError = status.startsWith('4');
        if (isClientError && response !== undefined && 'content' in response) {
          response.content = { 'application/json': { schema: oauthSchema } };
        }
      }
    }
  }
  return document;
}

/**
 * The global guard protects every route that is not marked public, and `RequireScope` documents
 * the bearer requirement of each protected one; an operation with no requirement is public, which
 * OpenAPI spells `security: []` rather than leaving it unsaid.
 */
function withPublicSecurity(document: OpenAPIObject): OpenAPIObject {
  for (const operation of Object.values(document.paths).flatMap(operationsOf)) operation.security ??= [];
  return document;
}

/** Serves the document at `/api/swagger.json` and Swagger UI (from the npm package, no CDN) at `/api/docs`. */
export function setupSwagger(app: INestApplication, endpoint: string): void {
  SwaggerModule.setup(SWAGGER_UI_PATH, app, () => buildOpenApiDocument(app, endpoint), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    customSiteTitle: 'Roster Management API',
    // "Authorize" takes a bearer token; keep it across page reloads while exploring.
    swaggerOptions: { persistAuthorization: true },
  });
}
