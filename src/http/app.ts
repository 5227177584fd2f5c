import cookie from '@fastify/cookie';
import {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  fastify,
  LogController,
} from 'fastify';
import type { AuthThrottle } from '../auth/throttle/auth-throttle.js';
import type { DeviceApiRuntime } from '../device-api/types.js';
import { type Clock, systemClock } from '../lib/clock.js';
import type { HttpRequestHandler } from '../mqtt/transport/http-server.js';
import type { DeviceFeedRelayCounts } from '../observability/cluster-collectors.js';
import type { Logger } from '../observability/logger.js';
import { Operations } from '../observability/operations.js';
import type { OperatedServer } from '../observability/readiness.js';
import type { OtaService } from '../ota/types.js';
import type { Platform } from '../platform/platform.js';
import { requireCaller } from './auth.js';
import { registerConsole } from './console-site.js';
import type { DeviceUploads, Presence, RouteContext } from './context.js';
import { formatValidationError, frameworkErrorHandler, installErrorHandling } from './errors.js';
import { LiveStreams } from './live/live-streams.js';
import { openApiRoute, registerOpenApi } from './openapi.js';
import { enforceRoles } from './permissions.js';
import { PingLog } from './ping-log.js';
import { deviceCommandRoutes } from './routes/device-commands.js';
import { deviceDataRoutes } from './routes/device-data.js';
import { deviceReadRoutes } from './routes/device-reads.js';
import { deviceTokenRoutes } from './routes/device-tokens.js';
import { deviceUploadRoutes } from './routes/device-uploads.js';
import { deviceWriteRoutes } from './routes/device-writes.js';
import { deviceRoutes } from './routes/devices.js';
import { EXTERNAL_API_PREFIX, externalApiRoutes } from './routes/external/external-api.js';
import { firmwareDownloadRoutes } from './routes/firmware-download.js';
import { deviceLiveRoute, gatewayListRoute } from './routes/live.js';
import { oauthClientRoutes } from './routes/oauth-clients.js';
import { oauthTokenRoutes } from './routes/oauth-token.js';
import { operationsRoutes, platformCheck } from './routes/operations.js';
import { organizationRoutes } from './routes/organizations.js';
import { otaRoutes } from './routes/ota.js';
import { sessionEndpoints } from './routes/session.js';
import { staticTokenRoutes } from './routes/static-tokens.js';
import { templateRoutes } from './routes/templates.js';
import { userRoutes } from './routes/users.js';
import { registerSharedSchemas } from './schemas/shared.js';
import { HttpThrottle } from './throttle.js';

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
  /** Blynk.Air: firmware, shipments and `GET /static/{file}` (absent: not served). */
  readonly ota?: { readonly service: OtaService; readonly maxFirmwareBytes: number };
  /** Time for request checks (e.g. the import window); defaults to the system clock. */
  readonly clock?: Clock;
  /**
   * The running server once its listeners are bound: enables `/metrics`, `/healthz` and
   * `/readyz` (not served without it).
   */
  readonly server?: () => OperatedServer | undefined;
  /** When set, `/metrics` requires `Authorization: Bearer <token>`. */
  readonly metricsToken?: string | undefined;
  /** The process is a cluster node (its `devgate_cluster_*` metrics are exported). */
  readonly clustered?: boolean;
  /** The device feed relay's counts on a cluster node (set once it runs). */
  readonly deviceFeedRelay?: () => DeviceFeedRelayCounts | undefined;
  /** Device file uploads and `GET /device_uploads/…` (absent: uploads are refused with 403). */
  readonly uploads?: DeviceUploads;
  /** Failed-login throttling, shared with the MQTT listeners (absent: none). */
  readonly authThrottle?: AuthThrottle;
  /** The built web console (default `dist/console`); without its index.html, `/` answers 503. */
  readonly consoleDir?: string;
  /** The console's live streams and their limits (absent: default limits). Closed with the app. */
  readonly liveStreams?: LiveStreams;
}

function newInstance(logger: Logger, bodyLimit: number): FastifyInstance {
  return fastify({
    // Typed as the base logger so the instance is a plain FastifyInstance for route modules.
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's request lines carry the raw URL, whose query may hold a client secret.
    logController: new LogController({ disableRequestLogging: true }),
    // No pino child per request (a bindings object and a redaction pass each time, ~8 % of the
    // write path's allocations): request.log is the http logger, and errors name their route.
    childLoggerFactory: (logger) => logger,
    bodyLimit,
    // No implicit HEAD for GET routes: several device-API GETs write (`/external/api/update`).
    exposeHeadRoutes: false,
    schemaErrorFormatter: formatValidationError,
    frameworkErrors: frameworkErrorHandler,
    // Unknown fields are an error, not silently dropped; union types (id or TMPL…) are intended.
    ajv: { customOptions: { removeAdditional: false, allowUnionTypes: true } },
  });
}

/** Hooks for every request: JSON as the default body type (spec §6.4) and a secret-free log line. */
function installRequestHooks(app: FastifyInstance, logger: Logger): void {
  // Callback hooks, not async ones: no promise per request on the write path.
  app.addHook('onRequest', (request, _reply, done) => {
    const headers = request.headers;
    // The Device HTTPS API requires the header (spec §6.2 row 6: `Unknown content type.`).
    if (
      headers['content-type'] === undefined &&
      hasBody(headers) &&
      !request.url.startsWith(EXTERNAL_API_PREFIX)
    )
      headers['content-type'] = 'application/json';
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (logger.isLevelEnabled('debug')) {
      const route = request.routeOptions.url ?? 'unknown';
      request.log.debug(
        { method: request.method, route, status: reply.statusCode, ms: reply.elapsedTime },
        'http',
      );
    }
    done();
  });
}

function hasBody(headers: FastifyRequest['headers']): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/** `/metrics`, `/healthz` and `/readyz` of the platform: engine, device API and HTTP metrics. */
function operationsFor(
  deps: HttpAppDeps,
  deviceApi: HttpAppDeps['deviceApi'],
  streams: LiveStreams,
): Operations {
  return new Operations({
    server: deps.server!,
    liveStreams: () => ({
      open: streams.openCount,
      overflowed: streams.overflowed,
      refused: streams.refused,
    }),
    checks: [platformCheck(deps.platform)],
    metricsToken: deps.metricsToken,
    clustered: deps.clustered === true,
    ...(deps.deviceFeedRelay !== undefined && { deviceFeedRelay: deps.deviceFeedRelay }),
    ...(deviceApi === undefined
      ? {}
      : { deviceApi: () => deviceApi()?.metrics, devicesOnline: () => deviceApi()?.presence.onlineCount() }),
  });
}

/** Every answered request into the HTTP metrics, by route pattern: never the URL (bounded labels). */
function recordRequests(app: FastifyInstance, operations: Operations): void {
  const http = operations.metrics.http;
  app.addHook('onResponse', (request, reply, done) => {
    http.record(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/**
 * The HTTP API (spec §6.3/§6.4) as a ready Fastify instance that does not listen: mount it on
 * the node HTTP(S) servers with {@link toRequestHandler}.
 */
export async function buildHttpApp(deps: HttpAppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const logger = deps.logger.child({ component: 'http' });
  const app = newInstance(logger, bodyLimit);
  const site = await registerConsole(app, deps.consoleDir);
  installErrorHandling(app, bodyLimit, site.fallback);
  installRequestHooks(app, logger);
  // Bodies are JSON (forms only at the token endpoint); a text body is 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  await registerOpenApi(app);
  registerSharedSchemas(app);
  const deviceApi = deps.deviceApi;
  const presence: Presence | undefined =
    deps.presence ??
    (deviceApi === undefined ? undefined : { isOnline: (id) => deviceApi()?.presence.isOnline(id) ?? false });
  const ctx: RouteContext = {
    platform: deps.platform,
    presence,
    deviceApi: deviceApi ?? (() => undefined),
    pings: new PingLog(),
    clock: deps.clock ?? systemClock,
    uploads: deps.uploads,
    throttle: new HttpThrottle(deps.authThrottle),
  };
  const streams = deps.liveStreams ?? new LiveStreams();
  // Before the listeners close their connections: every stream gets a clean end first.
  app.addHook('preClose', (done) => {
    streams.close();
    done();
  });
  const operations = deps.server === undefined ? undefined : operationsFor(deps, deviceApi, streams);
  if (operations !== undefined) recordRequests(app, operations);
  const throttle = ctx.throttle;
  // A token check admitted by the throttle and not reported (an error on the way) ends here.
  app.addHook('onResponse', (request, _reply, done) => {
    throttle.release(request);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    throttle.release(request);
    done();
  });
  await app.register(async (scope) => oauthTokenRoutes(scope, deps.platform.oauth, ctx.throttle));
  // Cookies are parsed only where a session may be used: not on the device API's hot path.
  await app.register(async (scope) => {
    await scope.register(cookie);
    sessionEndpoints(scope, deps.platform, ctx.throttle);
  });
  app.decorate('platformApiRoutes', [] as string[]);
  // Device HTTPS API: the device token in the query string, no bearer (spec §6.2).
  await app.register(async (scope) => externalApiRoutes(scope, ctx));
  await app.register(async (api) => {
    await api.register(cookie);
    requireCaller(api, deps.platform, ctx.throttle);
    enforceRoles(api);
    organizationRoutes(api, ctx);
    deviceRoutes(api, ctx);
    deviceTokenRoutes(api, ctx);
    deviceDataRoutes(api, ctx);
    deviceReadRoutes(api, ctx);
    deviceWriteRoutes(api, ctx);
    deviceCommandRoutes(api, ctx);
    deviceLiveRoute(api, ctx, streams);
    gatewayListRoute(api, ctx);
    templateRoutes(api, ctx);
    oauthClientRoutes(api, ctx);
    staticTokenRoutes(api, ctx);
    userRoutes(api, ctx);
    const ota = deps.ota;
    // Its own plugin: the raw-body parser and the larger body limit stay with the upload route.
    if (ota !== undefined) await api.register(async (scope) => otaRoutes(scope, ota.service, ota));
  });
  const ota = deps.ota;
  if (ota !== undefined)
    await app.register(async (scope) => firmwareDownloadRoutes(scope, ota.service, ctx.throttle));
  const uploads = deps.uploads;
  if (uploads !== undefined) await app.register(async (scope) => deviceUploadRoutes(scope, uploads.store));
  if (operations !== undefined) operationsRoutes(app, operations, ctx.throttle);
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
