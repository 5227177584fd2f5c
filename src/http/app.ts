import { type FastifyBaseLogger, type FastifyInstance, fastify, LogController } from 'fastify';
import type { HttpRequestHandler } from '../mqtt/transport/http-server.js';
import type { Logger } from '../observability/logger.js';
import type { DeviceApiRuntime } from '../device-api/types.js';
import type { Platform } from '../platform/platform.js';
import { requireBearer } from './auth.js';
import type { Presence, RouteContext } from './context.js';
import { formatValidationError, frameworkErrorHandler, installErrorHandling } from './errors.js';
import { openApiRoute, registerOpenApi } from './openapi.js';
import { deviceDataRoutes } from './routes/device-data.js';
import { deviceTokenRoutes } from './routes/device-tokens.js';
import { deviceRoutes } from './routes/devices.js';
import { oauthClientRoutes } from './routes/oauth-clients.js';
import { oauthTokenRoutes } from './routes/oauth-token.js';
import { organizationRoutes } from './routes/organizations.js';
import { staticTokenRoutes } from './routes/static-tokens.js';
import { templateRoutes } from './routes/templates.js';
import { registerSharedSchemas } from './schemas/shared.js';

/** spec §6.1: requests up to 2 MB. */
export const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;

export interface HttpAppDeps {
  readonly platform: Platform;
  readonly logger: Logger;
  /** Largest request body, bytes; larger ones are answered 413. */
  readonly bodyLimit?: number;
  readonly presence?: Presence;
  /** The device API once the broker runs (writes that become downlinks, ping, presence). */
  readonly deviceApi?: () => DeviceApiRuntime | undefined;
}

function newInstance(deps: HttpAppDeps, bodyLimit: number): FastifyInstance {
  return fastify({
    // Typed as the base logger so the instance is a plain FastifyInstance for route modules.
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Fastify's request lines carry the raw URL, whose query may hold a client secret.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    schemaErrorFormatter: formatValidationError,
    frameworkErrors: frameworkErrorHandler,
    // Unknown fields are an error, not silently dropped; union types (id or TMPL…) are intended.
    ajv: { customOptions: { removeAdditional: false, allowUnionTypes: true } },
  });
}

/** Hooks for every request: JSON as the default body type (spec §6.4) and a secret-free log line. */
function installRequestHooks(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const headers = request.headers;
    const hasBody = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
    if (hasBody && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    request.log.debug(
      { method: request.method, route, status: reply.statusCode, ms: reply.elapsedTime },
      'http',
    );
  });
}

/**
 * The HTTP API (spec §6.3/§6.4) as a ready Fastify instance that does not listen: mount it on
 * the node HTTP(S) servers with {@link toRequestHandler}.
 */
export async function buildHttpApp(deps: HttpAppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = newInstance(deps, bodyLimit);
  installErrorHandling(app, bodyLimit);
  installRequestHooks(app);
  // Bodies are JSON (forms only at the token endpoint); a text body is 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  await registerOpenApi(app);
  registerSharedSchemas(app);
  const deviceApi = deps.deviceApi;
  const presence: Presence | undefined =
    deps.presence ??
    (deviceApi === undefined ? undefined : { isOnline: (id) => deviceApi()?.presence.isOnline(id) ?? false });
  const ctx: RouteContext = { platform: deps.platform, presence, deviceApi: deviceApi ?? (() => undefined) };
  await app.register(async (scope) => oauthTokenRoutes(scope, deps.platform.oauth));
  await app.register(async (api) => {
    requireBearer(api, deps.platform.oauth);
    organizationRoutes(api, ctx);
    deviceRoutes(api, ctx);
    deviceTokenRoutes(api, ctx);
    deviceDataRoutes(api, ctx);
    templateRoutes(api, ctx);
    oauthClientRoutes(api, ctx);
    staticTokenRoutes(api, ctx);
  });
  openApiRoute(app);
  await app.ready();
  return app;
}

/**
 * The handler for `ServerDeps.httpHandler` (plain requests; WebSocket upgrades stay with the
 * listener). `app` must be ready, as {@link buildHttpApp} returns it.
 */
export function toRequestHandler(app: FastifyInstance): HttpRequestHandler {
  return (request, response) => app.routing(request, response);
}
