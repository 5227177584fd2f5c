import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { jsonRecords, untilLine, untilRecord } from '../helpers/log-lines.js';
import { connackCode, connectClient, connectRefused } from '../helpers/mqtt-client.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { RawClient } from '../helpers/raw-client.js';
import {
  type Cli,
  cliExit,
  cliStarted,
  localPortArgs,
  readDataFile,
  spawnCli,
} from '../helpers/spawn-cli.js';

const ALICE_PASSWORD = 'wonderland-7f3c9a';
const WRONG_PASSWORD = 'not-the-password-5d21e8';

/** A password file with alice, made by `devgate passwd`. */
async function passwordFile(t: TestContext, dir: string): Promise<string> {
  const path = join(dir, 'passwd');
  const added = spawnCli(t, ['passwd', path, 'alice', '--password', ALICE_PASSWORD, '--iterations', '1000']);
  assert.equal(await cliExit(added), 0, added.output.stderr);
  return path;
}

async function startBroker(
  t: TestContext,
  dataDir: string,
  extra: readonly string[],
  env: Record<string, string> = {},
): Promise<{ cli: Cli; port: number }> {
  const cli = spawnCli(t, ['broker', '--data-dir', dataDir, ...localPortArgs('off'), ...extra], {
    env,
    timeoutMs: 15_000,
  });
  await cliStarted(cli, 'the broker to start');
  const { mqtt } = await readDataFile<{ mqtt: number }>(dataDir, 'listeners.json');
  return { cli, port: mqtt };
}

describe('operator logs (built CLI)', () => {
  test('JSON by default off a terminal: connect (all fields), refusals (user, address, reason), disconnect reasons; no password anywhere', async (t) => {
    const dir = await tempDataDir(t, 'devgate-logs-');
    const passwd = await passwordFile(t, dir);
    // DEVGATE_LOG_FORMAT '' = unset: stdout is a pipe, so the default format is JSON.
    const { cli, port } = await startBroker(
      t,
      join(dir, 'data'),
      ['--password-file', passwd, '--auth-failure-burst', '1', '--auth-failure-refill-ms', '600000'],
      { DEVGATE_LOG_FORMAT: '' },
    );

    const v5 = await connectClient(t, port, {
      protocolVersion: 5,
      clientId: 'alice-v5',
      username: 'alice',
      password: ALICE_PASSWORD,
      keepalive: 30,
      properties: { sessionExpiryInterval: 120 },
    });
    const accepted = await untilRecord(cli, 'client connected', { clientId: 'alice-v5' });
    const localPort = (v5.client.stream as unknown as { localPort: number }).localPort;
    assert.deepEqual(
      {
        username: accepted.username,
        remote: accepted.remote,
        transport: accepted.transport,
        protocol: accepted.protocol,
        keepalive: accepted.keepalive,
        cleanStart: accepted.cleanStart,
        sessionExpiry: accepted.sessionExpiry,
        sessionPresent: accepted.sessionPresent,
        level: accepted.level,
      },
      {
        username: 'alice',
        remote: `127.0.0.1:${localPort}`,
        transport: 'tcp',
        protocol: '5',
        keepalive: 30,
        cleanStart: true,
        sessionExpiry: 120,
        sessionPresent: false,
        level: 30,
      },
    );

    // A client DISCONNECT (v5, normal: 0x00).
    await v5.client.endAsync();
    const ended = await untilRecord(cli, 'client disconnected', { clientId: 'alice-v5' });
    assert.equal(ended.reason, 'client disconnect');
    assert.equal(ended.reasonCode, 0);
    assert.equal(ended.username, 'alice');

    // A 3.1.1 persistent session, then taken over by the same client id.
    await connectClient(t, port, {
      protocolVersion: 4,
      clientId: 'alice-v4',
      clean: false,
      username: 'alice',
      password: ALICE_PASSWORD,
      keepalive: 45,
    });
    const v4 = await untilRecord(cli, 'client connected', { clientId: 'alice-v4' });
    assert.equal(v4.protocol, '3.1.1');
    assert.equal(v4.cleanStart, false);
    assert.equal(v4.keepalive, 45);
    await connectClient(t, port, {
      protocolVersion: 4,
      clientId: 'alice-v4',
      clean: false,
      username: 'alice',
      password: ALICE_PASSWORD,
    });
    assert.equal(
      (await untilRecord(cli, 'client disconnected', { clientId: 'alice-v4' })).reason,
      'takeover', // [MQTT-3.1.4-3]
    );
    assert.equal((await untilRecord(cli, 'client connected', { sessionPresent: true })).clientId, 'alice-v4');

    // Keepalive timeout [MQTT-3.1.2-24]: a raw client that goes quiet.
    const sleeper = await RawClient.open(t, port);
    await sleeper.handshake({
      clientId: 'sleeper',
      username: 'alice',
      password: Buffer.from(ALICE_PASSWORD),
      keepalive: 1,
    });
    const timedOut = await untilRecord(cli, 'client disconnected', { clientId: 'sleeper' });
    assert.equal(timedOut.reason, 'keepalive timeout');
    assert.equal(timedOut.reasonCode, 0x8d);

    // The transport closed without DISCONNECT.
    const dropped = await RawClient.open(t, port);
    await dropped.handshake({
      clientId: 'dropped',
      username: 'alice',
      password: Buffer.from(ALICE_PASSWORD),
    });
    dropped.destroy();
    assert.equal(
      (await untilRecord(cli, 'client disconnected', { clientId: 'dropped' })).reason,
      'transport closed',
    );

    // A connected client at shutdown (connected first: a throttled address is refused even with the right password).
    await connectClient(t, port, {
      protocolVersion: 5,
      clientId: 'last',
      username: 'alice',
      password: ALICE_PASSWORD,
    });
    await untilRecord(cli, 'client connected', { clientId: 'last' });

    // Refused logins: bad credentials (v5 0x86), then throttled (0x9F): burst 1 per address.
    const wrong = await connectRefused(t, port, {
      protocolVersion: 5,
      clientId: 'guesser',
      username: 'alice',
      password: WRONG_PASSWORD,
    });
    assert.equal(connackCode(wrong!), 0x86);
    const refused = await untilRecord(cli, 'login refused', { clientId: 'guesser', reasonCode: 0x86 });
    assert.equal(refused.username, 'alice');
    assert.equal(refused.reason, 'bad credentials');
    assert.match(String(refused.remote), /^127\.0\.0\.1:\d+$/);
    assert.equal(refused.transport, 'tcp');
    await connectRefused(t, port, {
      protocolVersion: 4,
      clientId: 'guesser-2',
      username: 'mallory',
      password: WRONG_PASSWORD,
    });
    const throttled = await untilRecord(cli, 'login refused', { clientId: 'guesser-2' });
    assert.equal(throttled.reason, 'throttled');
    assert.equal(throttled.username, 'mallory');

    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0, cli.output.stderr);
    const records = jsonRecords(cli.output.stdout); // every stdout line is JSON
    const last = records.find((r) => r.msg === 'client disconnected' && r.clientId === 'last');
    assert.equal(last?.reason, 'server shutdown');
    // The human summary is on stderr, not mixed into the JSON stream.
    assert.match(cli.output.stderr, /broker running[\s\S]*Press Ctrl\+C to stop\./);
    const everything = cli.output.stdout + cli.output.stderr;
    for (const secret of [ALICE_PASSWORD, WRONG_PASSWORD])
      assert.ok(!everything.includes(secret), 'a password is never logged');
  });

  test('--log-format pretty: one readable line per record; --no-log-connections silences connection lines', async (t) => {
    const dir = await tempDataDir(t, 'devgate-logs-');
    const { cli, port } = await startBroker(t, join(dir, 'data'), [
      '--allow-anonymous',
      '--log-format',
      'pretty',
    ]);
    assert.match(cli.output.stdout, /broker running/);
    await connectClient(t, port, { protocolVersion: 4, clientId: 'pretty-one', keepalive: 20 });
    const line = await untilLine(cli, (l) => l.includes('client connected'), 'the pretty connect line');
    assert.match(
      line,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}client connected clientId=pretty-one remote=127\.0\.0\.1:\d+ transport=tcp protocol=3\.1\.1 keepalive=20 cleanStart=true sessionExpiry=0 sessionPresent=false$/,
    );
    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0);
    assert.doesNotMatch(cli.output.stdout, /^\{/m, 'no JSON lines in pretty output');

    const quiet = await startBroker(t, join(dir, 'quiet'), [
      '--allow-anonymous',
      '--log-format',
      'json',
      '--no-log-connections',
    ]);
    const client = await connectClient(t, quiet.port, { protocolVersion: 5, clientId: 'unlogged' });
    await client.client.endAsync();
    quiet.cli.child.kill('SIGTERM');
    assert.equal(await cliExit(quiet.cli), 0);
    const records = jsonRecords(quiet.cli.output.stdout);
    assert.ok(records.some((r) => r.msg === 'devgate stopped'));
    assert.ok(!quiet.cli.output.stdout.includes('unlogged'), 'no connection lines');
  });

  test('devgate start --demo: tokens and the admin secret printed once; later starts say where they are; a refused device login names the user, never the token', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-logs-');
    const args = ['start', '--demo', '--data-dir', dataDir, ...localPortArgs('0')];
    const first = spawnCli(t, args, { timeoutMs: 20_000 });
    await cliStarted(first, 'the first start');
    const demo = await readDataFile<{ devices: Array<{ token: string }> }>(dataDir, 'demo.json');
    const admin = await readDataFile<{ clientSecret: string }>(dataDir, 'admin-credentials.json');
    const tokens = demo.devices.map((device) => device.token);
    for (const token of tokens) assert.ok(first.output.stdout.includes(token), 'created: printed once');
    first.child.kill('SIGTERM');
    assert.equal(await cliExit(first), 0, first.output.stderr);

    const again = spawnCli(t, args, { timeoutMs: 20_000 });
    await cliStarted(again, 'the second start');
    const { mqtt } = await readDataFile<{ mqtt: number }>(dataDir, 'listeners.json');
    assert.ok(again.output.stdout.includes(`demo credentials: ${join(dataDir, 'demo.json')}`));
    assert.ok(again.output.stdout.includes(`admin credentials: ${join(dataDir, 'admin-credentials.json')}`));
    // spec §2.1 device login: the token is the password.
    await connectClient(t, mqtt, {
      protocolVersion: 5,
      clientId: 'demo-1',
      username: 'device',
      password: tokens[0],
    });
    await untilLine(
      again,
      (line) => line.includes('client connected clientId=demo-1 username=device'),
      'login',
    );
    const wrongToken = 'w'.repeat(32);
    await connectRefused(t, mqtt, {
      protocolVersion: 4,
      clientId: 'demo-x',
      username: 'device',
      password: wrongToken,
    });
    const refused = await untilLine(
      again,
      (line) => line.includes('login refused clientId=demo-x'),
      'refusal',
    );
    assert.match(
      refused,
      / username=device remote=127\.0\.0\.1:\d+ transport=tcp reason="bad credentials" reasonCode=134/,
    );
    again.child.kill('SIGTERM');
    assert.equal(await cliExit(again), 0, again.output.stderr);
    const everything = again.output.stdout + again.output.stderr;
    for (const secret of [...tokens, admin.clientSecret, wrongToken])
      assert.ok(!everything.includes(secret), 'no token or secret on a later start');
  });
});
