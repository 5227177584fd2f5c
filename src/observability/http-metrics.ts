import { Counter, type Metric, type MetricValueWithName, type Registry } from 'prom-client';

/**
 * HTTP API latency: sub-millisecond reads of cached state up to multi-second report exports and
 * firmware uploads.
 */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The `route` label of a request no route matched (404, or a method the path does not have). */
export const UNMATCHED_ROUTE = 'unmatched';

const DURATION = 'devgate_http_request_duration_seconds';

/** One route and method: answers by status, and durations per bucket (not cumulative). */
interface RouteRecord {
  readonly statuses: Map<number, number>;
  /** Requests per bucket; the last slot holds those above the largest bound. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

type Labels = 'method' | 'route' | 'le';

/**
 * HTTP requests by route pattern (`/api/v1/organization/devices`, never the URL, which holds ids
 * and, in its query, tokens), method and status, with their durations. A request costs two map
 * lookups and a few increments (no Prometheus client call: ~2.6 µs each with prom-client's
 * labelled metrics); the numbers become metrics when scraped.
 */
export class HttpMetrics {
  /** Route pattern → method → record. */
  private readonly routes = new Map<string, Map<string, RouteRecord>>();

  constructor(registry: Registry) {
    const routes = this.routes;
    new Counter({
      name: 'devgate_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
      collect(this: Counter<'method' | 'route' | 'status'>) {
        this.reset();
        for (const [route, methods] of routes)
          for (const [method, record] of methods)
            for (const [status, count] of record.statuses)
              this.inc({ method, route, status: String(status) }, count);
      },
    });
    // prom-client's Histogram cannot be filled from numbers kept elsewhere: a metric of our own,
    // in the shape its registry formats (what Histogram.get() returns).
    const duration = {
      name: DURATION,
      help: 'HTTP request duration until the response was written, by method and route pattern',
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({ ...duration, values: this.durationValues() }),
      reset: () => routes.clear(),
    };
    registry.registerMetric(duration as unknown as Metric);
  }

  /** `route` is the matched route pattern, or undefined when none matched. */
  record(method: string, route: string | undefined, status: number, seconds: number): void {
    const pattern = route ?? UNMATCHED_ROUTE;
    let methods = this.routes.get(pattern);
    if (methods === undefined) {
      methods = new Map();
      this.routes.set(pattern, methods);
    }
    let record = methods.get(method);
    if (record === undefined) {
      record = { statuses: new Map(), buckets: new Array(HTTP_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      methods.set(method, record);
    }
    record.statuses.set(status, (record.statuses.get(status) ?? 0) + 1);
    let bucket = 0;
    while (bucket < HTTP_BUCKETS.length && seconds > HTTP_BUCKETS[bucket]!) bucket++; // le: value <= bound
    record.buckets[bucket]!++;
    record.sum += seconds;
    record.count++;
  }

  /** Cumulative `_bucket` samples, `_sum` and `_count` per route and method. */
  private durationValues(): Array<MetricValueWithName<Labels>> {
    const values: Array<MetricValueWithName<Labels>> = [];
    for (const [route, methods] of this.routes) {
      for (const [method, record] of methods) {
        let cumulative = 0;
        HTTP_BUCKETS.forEach((bound, i) => {
          cumulative += record.buckets[i]!;
          const labels = { method, route, le: String(bound) };
          values.push({ metricName: `${DURATION}_bucket`, labels, value: cumulative });
        });
        const labels = { method, route };
        values.push({
          metricName: `${DURATION}_bucket`,
          labels: { ...labels, le: '+Inf' },
          value: record.count,
        });
        values.push({ metricName: `${DURATION}_sum`, labels, value: record.sum });
        values.push({ metricName: `${DURATION}_count`, labels, value: record.count });
      }
    }
    return values;
  }
}
