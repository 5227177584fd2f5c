import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { HttpMetrics, UNMATCHED_ROUTE } from '../../../src/observability/http-metrics.js';
import { parseExposition, sampleValue } from '../../helpers/prometheus.js';

test('HTTP metrics: requests by method, route pattern and status; cumulative le buckets (value <= bound)', async () => {
  const registry = new Registry();
  const http = new HttpMetrics(registry);
  const route = '/api/v1/organization/devices';
  http.record('GET', route, 200, 0.001); // exactly on a bound: counted in it
  http.record('GET', route, 200, 0.004);
  http.record('GET', route, 401, 30); // above every bound: only +Inf
  http.record('POST', route, 201, 0.02);
  http.record('GET', undefined, 404, 0.0001);

  const metrics = parseExposition(await registry.metrics());
  assert.equal(metrics.types.get('devgate_http_request_duration_seconds'), 'histogram');
  assert.equal(metrics.types.get('devgate_http_requests_total'), 'counter');
  const requests = (labels: Record<string, string>): number | undefined =>
    sampleValue(metrics, 'devgate_http_requests_total', labels);
  assert.equal(requests({ method: 'GET', route, status: '200' }), 2);
  assert.equal(requests({ method: 'GET', route, status: '401' }), 1);
  assert.equal(requests({ method: 'POST', route, status: '201' }), 1);
  assert.equal(requests({ method: 'GET', route: UNMATCHED_ROUTE, status: '404' }), 1);

  const bucket = (le: string): number | undefined =>
    sampleValue(metrics, 'devgate_http_request_duration_seconds_bucket', { method: 'GET', route, le });
  assert.equal(bucket('0.001'), 1);
  assert.equal(bucket('0.0025'), 1);
  assert.equal(bucket('0.005'), 2);
  assert.equal(bucket('10'), 2);
  assert.equal(bucket('+Inf'), 3);
  const get = { method: 'GET', route };
  assert.equal(sampleValue(metrics, 'devgate_http_request_duration_seconds_count', get), 3);
  const sum = sampleValue(metrics, 'devgate_http_request_duration_seconds_sum', get) ?? 0;
  assert.ok(Math.abs(sum - 30.005) < 1e-9);
});
