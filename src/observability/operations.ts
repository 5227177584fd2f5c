import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeviceFeedRelayCounts } from './cluster-collectors.js';
import type { DeviceApiMetricsSource } from './device-api-collectors.js';
import type { LiveStreamCounts } from './live-stream-collectors.js';
import { MetricsRegistry } from './metrics-registry.js';
import { checkReadiness, type OperatedServer, type ReadinessCheck, serverChecks } from './readiness.js';

export const OPERATIONS_PATHS = ['/metrics', '/healthz', '/readyz'] as const;
export type OperationsPath = (typeof OPERATIONS_PATHS)[number];

export interface OperationsOptions {
  /** The running server once every listener is bound; undefined before (not ready). */
  readonly server: () => OperatedServer | undefined;
  /** More parts `/readyz` checks (e.g. the platform database). */
  readonly checks?: readonly ReadinessCheck[];
  /** When set, `/metrics` requires `Authorization: Bearer <token>`. */
  readonly metricsToken?: string | undefined;
  readonly processMetrics?: boolean;
  /** The device API's counters, exported on `/metrics` (`devgate start`). */
  readonly deviceApi?: DeviceApiMetricsSource;
  /** Devices online now, exported on `/metrics` (`devgate start`). */
  readonly devicesOnline?: () => number | undefined;
  /** The console's live streams, exported on `/metrics` (`devgate start`). */
  readonly liveStreams?: () => LiveStreamCounts;
  /** The process is a cluster node: its `devgate_cluster_*` metrics are exported. */
  readonly clustered?: boolean;
  /** The device feed relay's counts (`devgate start` cluster nodes). */
  readonly deviceFeedRelay?: () => DeviceFeedRelayCounts | undefined;
}

export interface OperationsResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

function json(status: number, value: unknown, headers: Record<string, string> = {}): OperationsResponse {
  return { status, headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

/** Compares digests so the time taken says nothing about how much of the token matched. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * `/metrics` (Prometheus text), `/healthz` (the process runs) and `/readyz` (stores answer,
 * listeners up), answered the same way by the Fastify app and by the plain broker's handler.
 */
export class Operations {
  readonly metrics: MetricsRegistry;
  private readonly checks: readonly ReadinessCheck[];
  private readonly metricsToken: string | undefined;

  constructor(options: OperationsOptions) {
    this.metrics = new MetricsRegistry({
      broker: () => options.server()?.broker,
      ...(options.processMetrics === undefined ? {} : { processMetrics: options.processMetrics }),
      ...(options.deviceApi === undefined ? {} : { deviceApi: options.deviceApi }),
      ...(options.devicesOnline === undefined ? {} : { devicesOnline: options.devicesOnline }),
      ...(options.liveStreams === undefined ? {} : { liveStreams: options.liveStreams }),
      ...(options.clustered === true && { cluster: () => options.server()?.cluster?.stats() }),
      ...(options.clustered === true &&
        options.deviceFeedRelay !== undefined && { deviceFeedRelay: options.deviceFeedRelay }),
    });
    this.checks = [...serverChecks(options.server), ...(options.checks ?? [])];
    this.metricsToken = options.metricsToken;
  }

  /** True when `/metrics` checks a bearer token (so a wrong one is a failed login). */
  get metricsTokenRequired(): boolean {
    return this.metricsToken !== undefined;
  }

  /** The answer for one of {@link OPERATIONS_PATHS}; `authorization` is the request's header. */
  async respond(path: OperationsPath, authorization: string | undefined): Promise<OperationsResponse> {
    switch (path) {
      case '/healthz':
        return json(200, { status: 'ok' });
      case '/readyz': {
        const report = await checkReadiness(this.checks);
        return json(report.ready ? 200 : 503, {
          status: report.ready ? 'ok' : 'unavailable',
          checks: report.checks,
        });
      }
      case '/metrics':
        return this.metricsResponse(authorization);
    }
  }

  private async metricsResponse(authorization: string | undefined): Promise<OperationsResponse> {
    if (this.metricsToken !== undefined) {
      const given = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization ?? '')?.[1];
      if (given === undefined || !sameSecret(given, this.metricsToken)) {
        return json(
          401,
          { error: { message: 'Invalid token.' } },
          { 'www-authenticate': 'Bearer realm="metrics"' },
        );
      }
    }
    const body = await this.metrics.text();
    return { status: 200, headers: { 'content-type': this.metrics.contentType }, body };
  }

  close(): void {
    this.metrics.close();
  }
}

function isOperationsPath(path: string): path is OperationsPath {
  return (OPERATIONS_PATHS as readonly string[]).includes(path);
}

/**
 * A node request handler serving the operations paths (GET/HEAD) and handing every other request
 * to `next`: the plain broker (`devgate broker`) has no Fastify app.
 */
export function operationsHandler(
  operations: Operations,
  next: (request: IncomingMessage, response: ServerResponse) => void,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (!isOperationsPath(path)) return next(request, response);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    operations.respond(path, request.headers.authorization).then(
      (answer) => {
        response.writeHead(answer.status, answer.headers);
        response.end(request.method === 'HEAD' ? undefined : answer.body);
      },
      () => response.writeHead(500).end(),
    );
  };
}
