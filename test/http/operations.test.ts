import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningPlatform } from '../../src/cli/start-command.js';
import { checkReadiness } from '../../src/observability/readiness.js';
import { connectClient, connectRefused, subscribeCodes, uniqueId } from '../helpers/mqtt-client.js';
import { callerFor } from '../helpers/platform.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { type Exposition, parseExposition, sampleValue } from '../helpers/prometheus.js';
import { client as transportClient } from '../helpers/transport-clients.js';

/** A template with one datastream and devices on it, made through the platform services. */
async function devices(running: RunningPlatform, names: readonly string[]): Promise<string[]> {
  const caller = callerFor(running.admin.root.id);
  const template = await running.platform.templates.create(caller, {
    name: 'Ops Thermostat',
    datastreams: [{ name: 'Temperature', pin: 1, type: 'Double', isSync: false, isRaw: true }],
  });
  const tokens: string[] = [];
  for (const name of names)
    tokens.push((await running.platform.devices.create(caller, { templateId: template.id, name })).token);
  return tokens;
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Exposition> {
  const response = await fetch(`${url}/metrics`, { headers });
  assert.equal(response.status, 200);
  assert.match(String(response.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

const ENGINE_METRICS = [
  'devgate_mqtt_connections',
  'devgate_mqtt_sessions',
  'devgate_mqtt_connects_accepted_total',
  'devgate_mqtt_connects_refused_total',
  'devgate_mqtt_auth_failures_total',
  'devgate_connection_errors_total',
  'devgate_mqtt_packets_received_total',
  'devgate_mqtt_packets_sent_total',
  'devgate_mqtt_bytes_received_total',
  'devgate_mqtt_bytes_sent_total',
  'devgate_mqtt_messages_received_total',
  'devgate_mqtt_messages_sent_total',
  'devgate_mqtt_subscriptions',
  'devgate_mqtt_retained_messages',
  'devgate_mqtt_denials_total',
  'devgate_mqtt_session_takeovers_total',
  'devgate_devices_online',
  'devgate_http_requests_total',
  'devgate_http_request_duration_seconds',
  'devgate_build_info',
  'devgate_uptime_seconds',
  'devgate_mqtt_deliveries_dropped_total',
  'devgate_socket_workers',
  'devgate_socket_worker_exits_total',
  'devgate_store_flush_seconds',
  'devgate_event_loop_lag_seconds',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
];

test('Operations /metrics: Prometheus text with engine, store, loop and process metrics; no secret in it', async (t) => {
  const dataDir = await tempDataDir(t);
  const running = await startPlatformServer(t, dataDir, ['--persistence']);
  const deviceName = `Secret Device Name ${uniqueId('n')}`;
  const [token = '', wsToken = ''] = await devices(running, [deviceName, 'Second Device']);
  const mqttPort = running.server.addresses.mqtt!;
  const tcpId = uniqueId('metrics-probe-tcp');
  const wsId = uniqueId('metrics-probe-ws');
  const device = await connectClient(t, mqttPort, {
    protocolVersion: 5,
    clientId: tcpId,
    username: 'device',
    password: token,
  });
  await transportClient(t, `ws://127.0.0.1:${running.server.addresses.http}/mqtt`, {
    protocolVersion: 4,
    clientId: wsId,
    username: 'device',
    password: wsToken,
  });
  const badToken = `${token.slice(0, -4)}zzzz`;
  await connectRefused(t, mqttPort, { protocolVersion: 5, username: 'device', password: badToken });
  // Acknowledged either way (a refusal is a PUBACK reason code): the packets are what is counted here.
  await device.client.publishAsync('ds/Temperature', '21.5', { qos: 1 }).catch(() => undefined);

  const exposition = await scrape(running.httpUrl);
  for (const name of ENGINE_METRICS) assert.ok(exposition.types.has(name), `missing ${name}`);
  assert.equal(exposition.types.get('devgate_mqtt_connections'), 'gauge');
  assert.equal(exposition.types.get('devgate_store_flush_seconds'), 'histogram');
  assert.ok((sampleValue(exposition, 'devgate_mqtt_connects_accepted_total') ?? 0) >= 1);
  assert.equal(
    sampleValue(exposition, 'devgate_mqtt_auth_failures_total', { reason: 'bad_user_name_or_password' }),
    1,
  );
  assert.ok(
    (sampleValue(exposition, 'devgate_mqtt_connects_refused_total', {
      reason: 'bad_user_name_or_password',
    }) ?? 0) >= 1,
  );
  assert.ok((sampleValue(exposition, 'devgate_mqtt_packets_received_total', { kind: 'connect' }) ?? 0) >= 2);
  assert.ok((sampleValue(exposition, 'devgate_mqtt_packets_received_total', { kind: 'publish' }) ?? 0) >= 1);
  assert.ok((sampleValue(exposition, 'devgate_mqtt_packets_sent_total', { kind: 'puback' }) ?? 0) >= 1);
  assert.equal(sampleValue(exposition, 'devgate_mqtt_deliveries_dropped_total', { reason: 'queue_full' }), 0);
  const connections = exposition.samples.filter((s) => s.name === 'devgate_mqtt_connections');
  assert.ok(connections.every((s) => ['tcp', 'tls', 'ws', 'wss'].includes(s.labels.transport ?? '')));
  assert.ok(connections.every((s) => ['3.1', '3.1.1', '5.0'].includes(s.labels.protocol ?? '')));
  const tcp = { transport: 'tcp', port: String(mqttPort), protocol: '5.0' };
  assert.equal(sampleValue(exposition, 'devgate_mqtt_connections', tcp), 1);
  const ws = { transport: 'ws', port: String(running.server.addresses.http), protocol: '3.1.1' };
  assert.equal(sampleValue(exposition, 'devgate_mqtt_connections', ws), 1);

  const text = await (await fetch(`${running.httpUrl}/metrics`)).text();
  for (const secret of [
    token,
    wsToken,
    badToken,
    tcpId,
    wsId,
    deviceName,
    running.admin.credentials.clientSecret,
  ])
    assert.ok(!text.includes(secret), `metrics text contains ${secret}`);
  const labelKeys = new Set(exposition.samples.flatMap((s) => Object.keys(s.labels)));
  for (const key of labelKeys) assert.ok(!/client|token|device|user|name/i.test(key), `label ${key}`);
});

test('Operations /metrics with --metrics-token: 401 without or with a wrong bearer, 200 with it', async (t) => {
  const dataDir = await tempDataDir(t);
  const running = await startPlatformServer(t, dataDir, ['--metrics-token', 'scrape-s3cret']);
  const missing = await fetch(`${running.httpUrl}/metrics`);
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="metrics"');
  const wrong = await fetch(`${running.httpUrl}/metrics`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  await scrape(running.httpUrl, { authorization: 'Bearer scrape-s3cret' });
  // Health and readiness stay open: probes carry no token.
  assert.equal((await fetch(`${running.httpUrl}/healthz`)).status, 200);
});

test('Operations /healthz: 200 {"status":"ok"} while the process runs, without a bearer token', async (t) => {
  const running = await startPlatformServer(t, await tempDataDir(t));
  const response = await fetch(`${running.httpUrl}/healthz`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: 'ok' });
  assert.equal((await fetch(`${running.httpUrl}/healthz`, { method: 'HEAD' })).status, 200);
});

test('Operations /readyz: 200 when stores answer and listeners are up; 503 naming the closed platform db', async (t) => {
  const running = await startPlatformServer(t, await tempDataDir(t), ['--persistence']);
  const ready = await fetch(`${running.httpUrl}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), {
    status: 'ok',
    checks: { listeners: 'ok', 'engine-store': 'ok', platform: 'ok' },
  });
  await running.platform.close();
  const unready = await fetch(`${running.httpUrl}/readyz`);
  assert.equal(unready.status, 503);
  const body = (await unready.json()) as { status: string; checks: Record<string, string> };
  assert.equal(body.status, 'unavailable');
  assert.equal(body.checks.listeners, 'ok');
  assert.equal(body.checks['engine-store'], 'ok');
  assert.notEqual(body.checks.platform, 'ok');
  // SQLite: "The database connection is not open"; PostgreSQL: the pool has been ended.
  assert.match(body.checks.platform ?? '', /not open|pool after calling end/);
});

test('Operations readiness: a check that does not answer in time fails with a reason', async () => {
  const report = await checkReadiness(
    [
      { name: 'fast', check: () => undefined },
      { name: 'stuck', check: () => sleep(1000) },
      {
        name: 'broken',
        check: () => {
          throw new Error('disk on fire');
        },
      },
    ],
    20,
  );
  assert.deepEqual(report, {
    ready: false,
    checks: { fast: 'ok', stuck: 'no answer within 20 ms', broken: 'disk on fire' },
  });
});

test('Operations routes are absent from the OpenAPI document (not Platform API operations)', async (t: TestContext) => {
  const running = await startPlatformServer(t, await tempDataDir(t));
  const doc = (await (await fetch(`${running.httpUrl}/api/openapi.json`)).json()) as { paths: object };
  for (const path of ['/metrics', '/healthz', '/readyz']) assert.ok(!(path in doc.paths), path);
});

test('Operations /metrics on devgate start: devices online, scope denials, HTTP requests by route pattern; no raw URL or token', async (t) => {
  const dataDir = await tempDataDir(t);
  const running = await startPlatformServer(t, dataDir);
  const [token = ''] = await devices(running, ['Route Probe']);
  const before = await scrape(running.httpUrl);
  assert.equal(sampleValue(before, 'devgate_devices_online'), 0);

  const device = await connectClient(t, running.server.addresses.mqtt!, {
    protocolVersion: 5,
    username: 'device',
    password: token,
  });
  // Outside the device's topic space (spec: devices subscribe to downlink/…): refused by its scope.
  assert.deepEqual(await subscribeCodes(device.client, 'elsewhere/#'), [0x87]);
  const connected = await fetch(`${running.httpUrl}/external/api/isHardwareConnected?token=${token}`);
  assert.equal(connected.status, 200);
  assert.equal(await connected.text(), 'true');
  // Under /api: other unknown paths are the web console's client-side routes (index.html).
  assert.equal((await fetch(`${running.httpUrl}/api/no/such/path/${token}?token=${token}`)).status, 404);
  assert.equal((await fetch(`${running.httpUrl}/api/v1/organization/profile`)).status, 401);

  const response = await fetch(`${running.httpUrl}/metrics`);
  const text = await response.text();
  assert.ok(!text.includes(token), 'a device token in the metrics');
  assert.ok(!text.includes('/no/such/path'), 'a raw URL in the metrics');
  assert.ok(!text.includes('?'), 'a query string in the metrics');
  const metrics = parseExposition(text);
  assert.equal(sampleValue(metrics, 'devgate_devices_online'), 1);
  assert.equal(sampleValue(metrics, 'devgate_mqtt_denials_total', { action: 'subscribe', by: 'scope' }), 1);
  const requests = (labels: Record<string, string>): number | undefined =>
    sampleValue(metrics, 'devgate_http_requests_total', labels);
  const route = '/external/api/isHardwareConnected';
  assert.equal(requests({ method: 'GET', route, status: '200' }), 1);
  assert.equal(requests({ method: 'GET', route: 'unmatched', status: '404' }), 1);
  assert.equal(requests({ method: 'GET', route: '/api/v1/organization/profile', status: '401' }), 1);
  assert.equal(
    sampleValue(metrics, 'devgate_http_request_duration_seconds_count', { method: 'GET', route }),
    1,
  );
  assert.equal(
    sampleValue(metrics, 'devgate_http_request_duration_seconds_bucket', {
      method: 'GET',
      route,
      le: '+Inf',
    }),
    1,
  );
  const routes = new Set(
    metrics.samples.filter((s) => s.name === 'devgate_http_requests_total').map((s) => s.labels.route),
  );
  for (const seen of routes) assert.ok(seen === 'unmatched' || seen?.startsWith('/'), `route ${seen}`);
});
