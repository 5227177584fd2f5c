import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

export const OPENAPI_PATH = '/api/openapi.json';

/** The generator marks every request body required; the token endpoint's may be empty (spec §6.3). */
const optionalTokenBody: SwaggerTransformObject = (document) => {
  if (!('openapiObject' in document)) return document.swaggerObject;
  const body = document.openapiObject.paths?.['/oauth2/token']?.post?.requestBody;
  if (body !== undefined && !('$ref' in body)) body.required = false;
  return document.openapiObject;
};

/**
 * @fastify/swagger collects every route's schema as it is added, so this must be registered
 * before the routes. Shared schemas become `components.schemas` under their `$id`.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'devgate Platform API',
        description:
          'Blynk-compatible Platform HTTPS API and OAuth2 token endpoint (docs/api/platform-api.md).',
        version: '1',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'access_token from POST /oauth2/token' },
          basicAuth: { type: 'http', scheme: 'basic', description: 'OAuth client id and secret' },
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'devgate_session',
            description: 'console session from POST /api/v1/session/login; writes also need X-CSRF-Token',
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: optionalTokenBody,
  });
}

/** Serves the generated document (not itself part of it). */
export function openApiRoute(app: FastifyInstance): void {
  app.get(
    OPENAPI_PATH,
    { schema: { hide: true, response: { 200: { type: 'object', additionalProperties: true } } } },
    async () => app.swagger(),
  );
}
