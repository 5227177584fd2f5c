import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { ReasonCode } from '../../src/mqtt/codec/reason-codes.js';
import { seedDeviceHttpWorld } from '../helpers/device-http.js';
import { connectFrom, httpFrom } from '../helpers/from-address.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { parseExposition, sampleValue } from '../helpers/prometheus.js';

/**
 * Failed-login throttling (decision 0009) on a running `devgate start` over real sockets: the
 * attacker is 127.0.0.1, the legitimate client 127.0.0.2 (loopback is a /8).
 */

const ATTACKER = '127.0.0.1';
const LEGIT = '127.0.0.2';
const BURST = 3;

async function start(t: TestContext, extra: readonly string[] = []) {
  const running = await startPlatformServer(t, await tempDataDir(t, 'devgate-throttle-'), [
    '--auth-failure-burst',
    String(BURST),
    // Slow refill: nothing comes back while a test runs.
    '--auth-failure-refill-ms',
    '600000',
    ...extra,
  ]);
  const seeded = await seedDeviceHttpWorld(running.platform, running.admin.root.id);
  const port = running.server.addresses.mqtt ?? 0;
  const admin = running.admin.credentials;
  return { running, seeded, port, admin, url: running.httpUrl };
}

for (const protocolVersion of [4, 5] as const) {
  const v5 = protocolVersion === 5;
  const badCode = v5 ? ReasonCode.BadUserNameOrPassword : 4;
  const throttledCode = v5 ? ReasonCode.ConnectionRateExceeded : 5;

  test(`failed-login throttling v${protocolVersion}: OAuth client guesses over MQTT are refused ${v5 ? '0x9F' : 'with return code 5'} after the burst, even with the right secret; the real client from another address is not slowed`, async (t) => {
    const s = await start(t);
    const guess = { username: s.admin.clientId, password: 'wrong-secret', protocolVersion };
    for (let i = 0; i < BURST; i++) assert.equal((await connectFrom(s.port, ATTACKER, guess)).code, badCode);
    assert.equal((await connectFrom(s.port, ATTACKER, guess)).code, throttledCode);
    const right = { username: s.admin.clientId, password: s.admin.clientSecret, protocolVersion };
    assert.equal(
      (await connectFrom(s.port, ATTACKER, right)).code,
      throttledCode,
      'no secret check when throttled',
    );
    assert.equal((await connectFrom(s.port, LEGIT, right)).code, 0);
  });

  test(`failed-login throttling v${protocolVersion}: device-token guesses (device, mgmt_device) are throttled per address; unknown and out-of-scope tokens get the same throttled answer`, async (t) => {
    const s = await start(t);
    // An unknown token (0x86 / 4) and a valid token without the gateway right (0x87 / 5) both count.
    assert.equal(
      (await connectFrom(s.port, ATTACKER, { username: 'device', password: 'x'.repeat(32), protocolVersion }))
        .code,
      badCode,
    );
    const outOfScope = { username: 'mgmt_device', password: s.seeded.token, protocolVersion };
    assert.equal((await connectFrom(s.port, ATTACKER, outOfScope)).code, v5 ? ReasonCode.NotAuthorized : 5);
    const unknown = { username: 'mgmt_device', password: 'y'.repeat(32), protocolVersion };
    assert.equal((await connectFrom(s.port, ATTACKER, unknown)).code, badCode);
    assert.equal((await connectFrom(s.port, ATTACKER, unknown)).code, throttledCode);
    assert.equal((await connectFrom(s.port, ATTACKER, outOfScope)).code, throttledCode);
    const device = { username: 'device', password: s.seeded.token, protocolVersion };
    assert.equal((await connectFrom(s.port, ATTACKER, device)).code, throttledCode);
    assert.equal((await connectFrom(s.port, LEGIT, device)).code, 0);
  });
}

test('failed-login throttling: POST /oauth2/token answers 429 with Retry-After after the burst; another address still gets its token', async (t) => {
  const s = await start(t);
  const tokenUrl = (secret: string) =>
    `${s.url}/oauth2/token?grant_type=client_credentials&client_id=${s.admin.clientId}&client_secret=${secret}`;
  for (let i = 0; i < BURST; i++) {
    const wrong = await httpFrom(tokenUrl('wrong'), ATTACKER, { method: 'POST' });
    assert.equal(wrong.status, 400);
    assert.equal(JSON.parse(wrong.body).error, 'invalid_client');
  }
  for (const secret of ['wrong', s.admin.clientSecret]) {
    const throttled = await httpFrom(tokenUrl(secret), ATTACKER, { method: 'POST' });
    assert.equal(throttled.status, 429);
    const retryAfter = Number(throttled.headers['retry-after']);
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 600,
      `Retry-After ${retryAfter}`,
    );
    assert.equal(JSON.parse(throttled.body).error, 'temporarily_unavailable');
  }
  const legit = await httpFrom(tokenUrl(s.admin.clientSecret), LEGIT, { method: 'POST' });
  assert.equal(legit.status, 200);
  // One throttle for both protocols: the guesser is throttled over MQTT too.
  const mqtt = await connectFrom(s.port, ATTACKER, {
    username: s.admin.clientId,
    password: s.admin.clientSecret,
    protocolVersion: 5,
  });
  assert.equal(mqtt.code, ReasonCode.ConnectionRateExceeded);
});

test('failed-login throttling: the Device HTTPS API and bearer-protected routes answer 429 with Retry-After; /metrics counts the refusals', async (t) => {
  const s = await start(t);
  for (let i = 0; i < BURST; i++) {
    const bad = await httpFrom(`${s.url}/external/api/get?token=${'z'.repeat(32)}&v4`, ATTACKER);
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.body), { error: { message: 'Invalid token.' } });
  }
  const device = await httpFrom(`${s.url}/external/api/get?token=${s.seeded.token}&v4`, ATTACKER);
  assert.equal(device.status, 429, 'a valid token from a throttled address is not even looked up');
  assert.ok(Number(device.headers['retry-after']) >= 1);
  const bearer = await httpFrom(`${s.url}/api/v1/organization`, ATTACKER, {
    headers: { authorization: 'Bearer not-a-token' },
  });
  assert.equal(bearer.status, 429);
  assert.ok(Number(bearer.headers['retry-after']) >= 1);
  assert.equal((await httpFrom(`${s.url}/external/api/get?token=${s.seeded.token}&v4`, LEGIT)).status, 200);
  const metrics = parseExposition((await httpFrom(`${s.url}/metrics`, LEGIT)).body);
  assert.equal(
    sampleValue(metrics, 'devgate_auth_throttled_total', { channel: 'http', scope: 'address' }),
    2,
  );
  assert.equal(sampleValue(metrics, 'devgate_auth_failed_logins_total', { channel: 'http' }), BURST);
});

test('failed-login throttling: distributed guessing at one OAuth client id is stopped per failing address, never for the real client', async (t) => {
  // Every address may fail 3 times, but the client id itself only twice before its rule applies.
  const s = await start(t, [
    '--auth-credential-failure-burst',
    '2',
    '--auth-credential-failure-refill-ms',
    '600000',
  ]);
  const guess = { username: s.admin.clientId, password: 'wrong', protocolVersion: 5 as const };
  const right = { username: s.admin.clientId, password: s.admin.clientSecret, protocolVersion: 5 as const };
  assert.equal((await connectFrom(s.port, '127.0.0.11', guess)).code, ReasonCode.BadUserNameOrPassword);
  assert.equal((await connectFrom(s.port, '127.0.0.12', guess)).code, ReasonCode.BadUserNameOrPassword);
  // The client id's bucket is empty: addresses that failed against it are refused ...
  assert.equal((await connectFrom(s.port, '127.0.0.11', guess)).code, ReasonCode.ConnectionRateExceeded);
  assert.equal((await connectFrom(s.port, '127.0.0.12', right)).code, ReasonCode.ConnectionRateExceeded);
  // ... a new address gets one failure, then is refused too ...
  assert.equal((await connectFrom(s.port, '127.0.0.13', guess)).code, ReasonCode.BadUserNameOrPassword);
  assert.equal((await connectFrom(s.port, '127.0.0.13', guess)).code, ReasonCode.ConnectionRateExceeded);
  // ... and the real client, which never failed, logs in at once from its address.
  assert.equal((await connectFrom(s.port, LEGIT, right)).code, 0);
});

test('failed-login throttling: OTA download tokens and a token-protected /metrics answer 429 with Retry-After after the burst', async (t) => {
  const s = await start(t, ['--metrics-token', 'metrics-secret-token']);
  const file = `${'a'.repeat(64)}.bin`;
  for (let i = 0; i < 2; i++)
    assert.equal((await httpFrom(`${s.url}/static/${file}?token=bad`, ATTACKER)).status, 403);
  const metrics = (token: string, from: string) =>
    httpFrom(`${s.url}/metrics`, from, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await metrics('wrong', ATTACKER)).status, 401);
  const throttled = await metrics('metrics-secret-token', ATTACKER);
  assert.equal(throttled.status, 429);
  assert.ok(Number(throttled.headers['retry-after']) >= 1);
  assert.equal((await httpFrom(`${s.url}/static/${file}?token=bad`, ATTACKER)).status, 429);
  assert.equal((await metrics('metrics-secret-token', LEGIT)).status, 200);
  // Without a token to check, /metrics and the probes are never throttled.
  assert.equal((await httpFrom(`${s.url}/healthz`, ATTACKER)).status, 200);
});

test('failed-login throttling: --auth-failure-burst 0 turns it off', async (t) => {
  const s = await start(t, ['--auth-failure-burst', '0']);
  const guess = { username: 'device', password: 'x'.repeat(32), protocolVersion: 5 as const };
  for (let i = 0; i < BURST + 3; i++)
    assert.equal((await connectFrom(s.port, ATTACKER, guess)).code, ReasonCode.BadUserNameOrPassword);
});
