import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * HTTP API latency: sub-millisecond reads of cached state up to multi-second report exports and
 * firmware uploads.
 */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The `route` label of a request no route matched (404, or a method the path does not have). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * HTTP requests by route pattern (`/api/v1/organizations/:orgId/devices`, never the URL, which
 * may hold an id or a token in its query), method and status. Observed once per request: HTTP is
 * not the MQTT per-message path, which only increments plain numbers.
 */
export class HttpMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'devgate_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'devgate_http_request_duration_seconds',
      help: 'HTTP request duration until the response was written, by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: HTTP_BUCKETS,
      registers: [registry],
    });
  }

  /** `route` is the matched route pattern, or undefined when none matched. */
  record(method: string, route: string | undefined, status: number, seconds: number): void {
    const pattern = route ?? UNMATCHED_ROUTE;
    this.requests.inc({ method, route: pattern, status: String(status) });
    this.duration.observe({ method, route: pattern }, seconds);
  }
}
