import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Writable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { pino } from 'pino';
import { type RunningPlatform, startPlatform } from '../../src/cli/start-command.js';
import { loadStartConfig } from '../../src/config/start-config.js';
import type { Logger } from '../../src/observability/logger.js';
import { type DeviceHttpWorld, seedDeviceHttpWorld, TEMPLATE_NAME } from '../helpers/device-http.js';
import { connectClient } from '../helpers/mqtt-client.js';
import { callerFor } from '../helpers/platform.js';
import { tempDataDir } from '../helpers/platform-server.js';

/**
 * The Device HTTPS API (spec §6.1, §6.2, §7.2) on a running `devgate start` (in-process, ports 0):
 * every endpoint over real HTTP and HTTPS (the self-signed development certificate), updates that
 * reach an MQTT device and a gateway, and logs that never hold a token.
 */

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Server extends DeviceHttpWorld {
  readonly running: RunningPlatform;
  /** `http://127.0.0.1:port` or `https://127.0.0.1:port` */
  readonly base: string;
  call(method: string, path: string, options?: { body?: string; type?: string }): Promise<Answer>;
}

/** A request over the server's real listener; HTTPS trusts only the server's own certificate. */
function send(
  url: URL,
  method: string,
  ca: Buffer | undefined,
  body?: string,
  type?: string,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  if (type !== undefined) headers['content-type'] = type;
  return new Promise((resolve, reject) => {
    const options = { method, headers, ...(ca === undefined ? {} : { ca }) };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function startServer(
  t: TestContext,
  options: { https?: boolean; logger?: Logger } = {},
): Promise<Server> {
  const dataDir = await tempDataDir(t, 'devgate-ext-');
  const ports = ['--host', '127.0.0.1', '--mqtt-port', '0', '--mqtts-port', 'off', '--http-port', '0'];
  const config = loadStartConfig({
    argv: ['--data-dir', dataDir, ...ports, '--https-port', options.https === true ? '0' : 'off'],
    env: {},
    cwd: dataDir,
  });
  const running = await startPlatform(config, options.logger ?? pino({ level: 'silent' }));
  t.after(() => running.close());
  const { http, https } = running.server.addresses;
  const secure = options.https === true;
  const base = secure ? `https://127.0.0.1:${https[0]}` : `http://127.0.0.1:${http}`;
  const certPath = running.server.tlsCertPath;
  const ca = secure && certPath !== undefined ? await readFile(certPath) : undefined;
  const seeded = await seedDeviceHttpWorld(running.platform, running.admin.root.id);
  const call: Server['call'] = (method, path, body = {}) =>
    send(new URL(path, base), method, ca, body.body, body.type);
  return { ...seeded, running, base, call };
}

/** One request of the table and what must come back. */
interface Case {
  readonly name: string;
  readonly method?: 'GET' | 'POST';
  /** Path and query; `{T}` is the device token, `{P}` the pending device's. */
  readonly path: string;
  readonly body?: (s: Server) => string;
  readonly type?: string;
  readonly status?: number;
  /** Exact body text, or a check of the answer. */
  readonly expect: string | ((answer: Answer, s: Server) => void | Promise<void>);
}

const error = (message: string) => JSON.stringify({ error: { message } });
const json = (value: unknown) => (answer: Answer) => assert.deepEqual(JSON.parse(answer.body), value);
const now = () => Date.now();

/** Every endpoint's happy path and every documented error text, in an order whose state adds up. */
const CASES: readonly Case[] = [
  { name: 'row 1 get: the default value', path: 'get?token={T}&v1', expect: '20' },
  { name: 'row 4 update: pin=value', path: 'update?token={T}&v4=42', expect: '' },
  { name: 'row 1 get: the written value', path: 'get?token={T}&V4', expect: '42' },
  { name: 'row 2 get: several pins', path: 'get?token={T}&v1&v4', expect: json({ v1: 20, v4: 42 }) },
  { name: 'row 3 getAll', path: 'getAll?token={T}', expect: json({ v1: 20, v4: 42 }) },
  {
    name: 'row 4 update: Location by pin=',
    path: 'update?token={T}&pin=V3&value=24.03&value=49.84',
    expect: '',
  },
  {
    name: 'row 1 get: dataStreamId=',
    path: 'get?token={T}&dataStreamId={ds:Position}',
    expect: '[24.03,49.84]',
  },
  {
    name: 'row 4 update: dataStreamId=&value=',
    path: 'update?token={T}&dataStreamId={ds:Set Point}&value=21.5',
    expect: '',
  },
  { name: 'row 5 GET batch/update', path: 'batch/update?token={T}&v2=hello%20there&v5=1', expect: '' },
  {
    name: 'row 6 POST batch/update',
    method: 'POST',
    path: 'batch/update?token={T}&pin=v1',
    body: () => JSON.stringify([[now() - 60_000, 19.5]]),
    type: 'application/json',
    expect: '',
  },
  { name: 'row 7 update/property', path: 'update/property?token={T}&pin=v1&label=Indoor', expect: '' },
  { name: 'row 8 logEvent', path: 'logEvent?token={T}&code=overheat&description=Boiler', expect: '' },
  {
    name: 'row 9 data/get output=JSON',
    path: 'data/get?token={T}&output=JSON&period=DAY&pin=v1',
    expect: (answer) => {
      const body = JSON.parse(answer.body) as { data: Array<{ value: unknown }>; rows: number };
      assert.deepEqual(
        body.data.map((row) => row.value),
        [19.5],
      );
      assert.equal(body.rows, 1);
    },
  },
  {
    name: 'row 9 data/get output=FILE: a link to a CSV',
    path: 'data/get?token={T}&period=DAY&pin=v4',
    expect: async (answer, s) => {
      const { link } = JSON.parse(answer.body) as { link: string };
      assert.ok(link.startsWith(`${s.base}/external/api/data/file/`), link);
      const file = await s.call('GET', link);
      assert.equal(file.status, 200);
      assert.match(file.body, /^ts,pin,dataStreamId,dataStreamName,value\r\n\d+,v4,\d+,Power,42\r\n$/);
    },
  },
  {
    name: 'row 10 device/meta',
    path: 'device/meta?token={T}&metaFieldName=Serial',
    expect: json({ type: 'Text', value: 'none' }),
  },
  {
    name: 'row 11 device/meta/update',
    path: 'device/meta/update?token={T}&metaFieldName=Serial&value=SN-7',
    expect: '',
  },
  {
    name: 'row 10 device/meta after update',
    path: 'device/meta?token={T}&metaFieldId={meta:Serial}',
    expect: json({ type: 'Text', value: 'SN-7' }),
  },
  { name: 'row 12 isHardwareConnected: data counts', path: 'isHardwareConnected?token={T}', expect: 'true' },
  {
    name: 'row 13 provision',
    path: 'provision?token={P}&templateId={tmpl}&ver=1.0.0&fwType={tmpl}',
    expect: '',
  },
  {
    name: 'row 14 upload: stored, answered with the URL it is served at',
    method: 'POST',
    path: 'upload?token={T}',
    body: () =>
      '--b\r\ncontent-disposition: form-data; name="upfile"; filename="poem.txt"\r\n\r\nhello\r\n--b--\r\n',
    type: 'multipart/form-data; boundary=b',
    expect: async (answer, s) => {
      const url = new URL(answer.body);
      assert.match(url.pathname, new RegExp(`^/device_uploads/${s.device.id}/[A-Za-z0-9_-]{32}\\.txt$`));
      const served = await s.call('GET', url.pathname);
      assert.equal(served.status, 200);
      assert.equal(served.body, 'hello');
    },
  },
  // spec §7.2, each text at least once.
  { name: '§7.2 No token provided.', path: 'get?v1', status: 400, expect: error('No token provided.') },
  {
    name: '§7.2 Invalid token.',
    path: 'get?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&v1',
    status: 400,
    expect: error('Invalid token.'),
  },
  {
    name: '§7.2 Wrong pin format.',
    path: 'get?token={T}&x1',
    status: 400,
    expect: error('Wrong pin format.'),
  },
  {
    name: '§7.2 Wrong dataStreamId format.',
    path: 'update?token={T}&dataStreamId=x&value=1',
    status: 400,
    expect: error('Wrong dataStreamId format.'),
  },
  {
    name: "§7.2 Value doesn't match the Datastream data type.",
    path: 'update?token={T}&v4=abc',
    status: 400,
    expect: error("Value doesn't match the Datastream data type."),
  },
  {
    name: "§7.2 Value doesn't match the Datastream data type (batch)",
    path: 'batch/update?token={T}&v4=abc',
    status: 400,
    expect: error("Value doesn't match the Datastream data type"),
  },
  {
    name: '§7.2 No datastream setup for that pin.',
    path: 'update?token={T}&v99=1',
    status: 400,
    expect: error('No datastream setup for that pin.'),
  },
  {
    name: "§7.2 Requested dataStream doesn't exist in the product",
    path: 'get?token={T}&v99',
    status: 400,
    expect: error(`Requested dataStream doesn't exist in the product ${TEMPLATE_NAME}`),
  },
  {
    name: '§7.2 Event code is not provided.',
    path: 'logEvent?token={T}',
    status: 400,
    expect: error('Event code is not provided.'),
  },
  {
    name: "§7.2 Can't find Event with this code in Product template",
    path: 'logEvent?token={T}&code=nope',
    status: 400,
    expect: error("Can't find Event with this code in Product template"),
  },
  {
    name: '§7.2 Wrong metaField format.',
    path: 'device/meta?token={T}&metaFieldId=x',
    status: 400,
    expect: error('Wrong metaField format.'),
  },
  {
    name: "§7.2 MetaField doesn't exist.",
    path: 'device/meta?token={T}&metaFieldId=999999',
    status: 400,
    expect: error("MetaField doesn't exist."),
  },
  {
    name: '§7.2 Wrong metaField format (update)',
    path: 'device/meta/update?token={T}&metaFieldId=x&value=1',
    status: 400,
    expect: error('Wrong metaField format'),
  },
  {
    name: "§7.2 MetaField doesn't exist (update)",
    path: 'device/meta/update?token={T}&metaFieldName=Nope&value=1',
    status: 400,
    expect: error("MetaField doesn't exist"),
  },
  {
    name: '§7.2 Wrong value',
    path: 'device/meta/update?token={T}&metaFieldName=Floor&value=high',
    status: 400,
    expect: error('Wrong value'),
  },
  {
    name: '§7.2 Unknown content type.',
    method: 'POST',
    path: 'batch/update?token={T}&pin=v1',
    body: () => JSON.stringify([[now(), 1]]),
    type: 'text/plain',
    status: 400,
    expect: error('Unknown content type.'),
  },
  {
    name: '§7.2 Too much data in batch.',
    method: 'POST',
    path: 'batch/update?token={T}&pin=v1',
    body: () => JSON.stringify(Array.from({ length: 10_001 }, (_, i) => [now() - i, 1])),
    type: 'application/json',
    status: 400,
    expect: error('Too much data in batch. Maximum batch size is 10000 points.'),
  },
  {
    name: '§7.2 Request with incorrect parameters',
    path: 'data/get?token={T}&period=YEAR',
    status: 400,
    expect: error('Request with incorrect parameters'),
  },
  {
    name: '§7.2 No data (500)',
    path: 'data/get?token={T}&output=JSON&pin=v6',
    status: 500,
    expect: error('No data'),
  },
];

/** `{T}`, `{P}`, `{tmpl}`, `{ds:Name}`, `{meta:Name}` filled in. */
function pathOf(s: Server, path: string): string {
  const filled = path
    .replaceAll('{T}', s.token)
    .replaceAll('{P}', s.pendingToken)
    .replaceAll('{tmpl}', s.template.templateId)
    .replace(/\{ds:([^}]+)\}/g, (_, name: string) => String(s.ds[name as keyof typeof s.ds]))
    .replace(/\{meta:([^}]+)\}/g, (_, name: string) => String(s.meta[name as keyof typeof s.meta]));
  return `/external/api/${filled}`;
}

async function runTable(s: Server): Promise<void> {
  for (const c of CASES) {
    const answer = await s.call(c.method ?? 'GET', pathOf(s, c.path), {
      ...(c.body === undefined ? {} : { body: c.body(s) }),
      ...(c.type === undefined ? {} : { type: c.type }),
    });
    assert.equal(answer.status, c.status ?? 200, `${c.name}: ${answer.body}`);
    if (typeof c.expect === 'string') assert.equal(answer.body, c.expect, c.name);
    else await c.expect(answer, s);
  }
  const pending = await s.running.platform.devices.byId(s.pending.id);
  assert.equal(pending?.status, 'ACTIVATED', 'provision activated the PENDING device');
}

test('spec §6.2/§7.2 every endpoint and error text over real HTTP', async (t) => {
  await runTable(await startServer(t));
});

test('spec §6.2/§7.2 every endpoint and error text over HTTPS (self-signed certificate)', async (t) => {
  const s = await startServer(t, { https: true });
  assert.ok(s.base.startsWith('https://'));
  await runTable(s);
});

for (const protocolVersion of [4, 5] as const) {
  test(`spec §3.6/§6.2 an HTTP update reaches the device's MQTT connection as downlink/ds/NAME (v${protocolVersion})`, async (t) => {
    const s = await startServer(t);
    const port = s.running.server.addresses.mqtt ?? 0;
    const device = await connectClient(t, port, { username: 'device', password: s.token, protocolVersion });
    await device.client.subscribeAsync('downlink/#', { qos: 1 });
    assert.equal((await s.call('GET', pathOf(s, 'isHardwareConnected?token={T}'))).body, 'true');
    assert.equal((await s.call('GET', pathOf(s, 'update?token={T}&v4=250'))).status, 200);
    const power = await device.inbox.next();
    assert.deepEqual([power.topic, power.payload.toString()], ['downlink/ds/Power', '100']);
    assert.equal(power.packet.qos, 1);
    await s.call('GET', pathOf(s, 'batch/update?token={T}&v3=1.5&v3=2.5&v2=Set%20Temperature'));
    const [position, label] = await device.inbox.take(2);
    assert.deepEqual(
      [position?.topic, position?.payload.toString()],
      ['downlink/ds/Position', '1.5\u00002.5'],
    );
    assert.deepEqual([label?.topic, label?.payload.toString()], ['downlink/ds/Label', 'Set Temperature']);
    await s.call('GET', pathOf(s, 'device/meta/update?token={T}&metaFieldName=Serial&value=SN-9'));
    const meta = await device.inbox.next();
    assert.deepEqual([meta.topic, meta.payload.toString()], ['downlink/meta/Serial', 'SN-9']);
  });

  test(`spec §4.2/§6.2 an HTTP update reaches a gateway subscribed to dev/{token}/downlink/# (v${protocolVersion})`, async (t) => {
    const s = await startServer(t);
    const port = s.running.server.addresses.mqtt ?? 0;
    const { client, secret } = await s.running.platform.oauth.createClient(
      callerFor(s.running.admin.root.id),
      {
        name: 'HTTP test gateway',
      },
    );
    const gateway = await connectClient(t, port, {
      username: client.clientId,
      password: secret,
      protocolVersion,
    });
    await gateway.client.subscribeAsync(`dev/${s.token}/downlink/#`, { qos: 1 });
    assert.equal((await s.call('GET', pathOf(s, 'update?token={T}&v6=2'))).status, 200);
    const mode = await gateway.inbox.next();
    assert.deepEqual([mode.topic, mode.payload.toString()], [`dev/${s.token}/downlink/ds/Mode`, '2']);
  });
}

test('spec §9 tokens and secrets: no log line of the running server holds the device token', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const s = await startServer(t, { logger: pino({ level: 'trace' }, sink) });
  const port = s.running.server.addresses.mqtt ?? 0;
  const device = await connectClient(t, port, { username: 'device', password: s.token, protocolVersion: 5 });
  await device.client.subscribeAsync('downlink/#', { qos: 1 });
  for (const path of [
    'update?token={T}&v4=1',
    'get?token={T}&v99',
    'nope?token={T}',
    'data/get?token={T}&output=JSON',
  ]) {
    await s.call('GET', pathOf(s, path));
  }
  await s.call('POST', pathOf(s, 'batch/update?token={T}&pin=v1'), {
    body: '[[1,',
    type: 'application/json',
  });
  await device.inbox.next();
  assert.ok(
    lines.some((line) => line.includes('"route":"/external/api/update"')),
    'requests are logged',
  );
  for (const line of lines) assert.ok(!line.includes(s.token), `the token is in a log line: ${line}`);
});
