import type { INestApplication } from '@nestjs/common';
import { BEARER_SECURITY_NAME } from './auth/auth.decorators.js';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const OPENAPI_JSON_PATH = 'api/swagger.json';
export const SWAGGER_UI_PATH = 'api/docs';

export function buildOpenApiDocument(app: INestApplication, endpoint: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Roster Management API')
    .setDescription(
      "User management wire-compatible with Logto's Management API (users). " +
        'Every `/api` route except `/api/status` needs a bearer token from `POST /oidc/token`. ' +
        'Errors are `{ code, message, data?, details? }`; timestamps are epoch milliseconds.',
    )
    .setVersion(process.env.npm_package_version ?? '0.1.0')
    .addServer(endpoint)
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from `POST /oidc/token` (client credentials).' },
      BEARER_SECURITY_NAME,
    )
    .build();
  return SwaggerModule.createDocument(app, config);
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
