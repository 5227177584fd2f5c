import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { connackCode, connectClient, connectRefused } from '../helpers/mqtt-client.js';
import { tempDataDir } from '../helpers/platform-server.js';
import {
  type Cli,
  cliExit,
  cliStarted,
  localPortArgs,
  readDataFile,
  spawnCli,
} from '../helpers/spawn-cli.js';

const START_MS = 20_000;

function run(t: TestContext, args: readonly string[]): Cli {
  return spawnCli(t, args, { timeoutMs: START_MS });
}

/** Resolves once the CLI printed its last start-up line (after listeners.json and demo.json). */
function started(cli: Cli): Promise<void> {
  return cliStarted(cli, 'devgate start');
}

const PORTS = localPortArgs('0');

interface Demo {
  templateId: string;
  datastreams: Array<{ id: number; name: string; pin: number; type: string }>;
  devices: Array<{ id: number; name: string; token: string }>;
}
interface Credentials {
  orgId: number;
  clientId: string;
  clientSecret: string;
}

async function startDemo(t: TestContext, dataDir: string) {
  const cli = run(t, ['start', '--demo', '--data-dir', dataDir, '--log-level', 'warn', ...PORTS]);
  await started(cli);
  const listeners = await readDataFile<{ mqtt: number; http: number }>(dataDir, 'listeners.json');
  const demo = await readDataFile<Demo>(dataDir, 'demo.json');
  const credentials = await readDataFile<Credentials>(dataDir, 'admin-credentials.json');
  return { cli, listeners, demo, credentials };
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function accessToken(http: number, credentials: Credentials): Promise<string> {
  const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64');
  const response = await fetch(`http://127.0.0.1:${http}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 86_400);
  return body.access_token;
}

describe('devgate start (built CLI)', () => {
  test('--demo: credentials 0600, OAuth token, device created over the API, MQTT logins, SIGTERM, restart', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-start-');
    const { cli, listeners, demo, credentials } = await startDemo(t, dataDir);

    // spec §5.8 / issue: credentials readable only by the owner; the secret is not printed.
    assert.equal(await mode(join(dataDir, 'admin-credentials.json')), 0o600);
    assert.equal(await mode(join(dataDir, 'demo.json')), 0o600);
    assert.equal(await mode(join(dataDir, 'secret.key')), 0o600);
    assert.match(credentials.clientId, /^oa2-client-id_/);
    assert.match(cli.output.stdout, /admin-credentials\.json/);
    // The web console's address on the HTTP listener and where the admin's sign-in is.
    assert.ok(
      cli.output.stdout.includes(`console      http://127.0.0.1:${listeners.http}/`),
      cli.output.stdout,
    );
    assert.match(cli.output.stdout, /console user +\S+@\S+ .*admin-credentials\.json/);
    assert.match(demo.templateId, /^TMPL[A-Za-z0-9]{8,10}$/);
    assert.equal(demo.devices.length, 3);
    assert.deepEqual(demo.datastreams.map((d) => d.type).sort(), [
      'Boolean',
      'Double',
      'Double',
      'Enum',
      'Integer',
      'Location',
      'String',
    ]);
    for (const device of demo.devices) assert.match(device.token, /^[A-Za-z0-9_-]{32}$/);
    assert.ok(cli.output.stdout.includes(`-p ${listeners.mqtt} -u device -P ${demo.devices[0]!.token}`));

    // spec §6.3 token, §6.4 device create
    const token = await accessToken(listeners.http, credentials);
    const created = await fetch(`http://127.0.0.1:${listeners.http}/api/v1/organization/device/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ templateId: demo.templateId, name: 'Smoke Device' }),
    });
    assert.equal(created.status, 201);
    const device = (await created.json()) as { id: number; name: string; orgId: number; token: string };
    assert.equal(device.name, 'Smoke Device');
    assert.equal(device.orgId, credentials.orgId);

    // spec §2.1: device login with a demo token and with the new device's token.
    const port = listeners.mqtt;
    const first = await connectClient(t, port, {
      protocolVersion: 5,
      username: 'device',
      password: demo.devices[0]!.token,
    });
    assert.equal(first.connack.reasonCode ?? 0, 0);
    const fresh = await connectClient(t, port, {
      protocolVersion: 4,
      username: 'device',
      password: device.token,
    });
    assert.equal(fresh.connack.returnCode ?? 0, 0);
    // spec §2.2: gateway login with the admin OAuth client.
    const gateway = await connectClient(t, port, {
      protocolVersion: 5,
      username: credentials.clientId,
      password: credentials.clientSecret,
    });
    assert.equal(gateway.connack.reasonCode ?? 0, 0);
    // spec §2.4: wrong token → 0x86 (v5) / 4 (3.1.1).
    const wrong = 'x'.repeat(32);
    assert.equal(
      connackCode(
        (await connectRefused(t, port, { protocolVersion: 5, username: 'device', password: wrong }))!,
      ),
      0x86,
    );
    assert.equal(
      connackCode(
        (await connectRefused(t, port, { protocolVersion: 4, username: 'device', password: wrong }))!,
      ),
      4,
    );

    // The management CLI finds the running server through listeners.json + admin-credentials.json.
    const list = run(t, ['device', 'list', '--json', '--data-dir', dataDir]);
    assert.equal(await cliExit(list), 0, list.output.stderr);
    const names = (JSON.parse(list.output.stdout) as Array<{ name: string }>).map((d) => d.name);
    assert.deepEqual(names, ['Demo Device 1', 'Demo Device 2', 'Demo Device 3', 'Smoke Device']);
    const offline = run(t, ['device', 'list', '--offline', '--data-dir', dataDir]);
    assert.equal(await cliExit(offline), 2);
    assert.match(offline.output.stderr, new RegExp(`is in use by devgate start \\(pid ${cli.child.pid}\\)`));

    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0, cli.output.stderr);

    // Restart on the same directory: same credentials, same demo template and devices.
    const again = await startDemo(t, dataDir);
    assert.deepEqual(again.credentials, credentials);
    assert.equal(again.demo.templateId, demo.templateId);
    assert.deepEqual(again.demo.devices, demo.devices);
    assert.doesNotMatch(again.cli.output.stdout, /created now/);
    const back = await connectClient(t, again.listeners.mqtt, {
      protocolVersion: 5,
      username: 'device',
      password: device.token,
    });
    assert.equal(back.connack.reasonCode ?? 0, 0);
    again.cli.child.kill('SIGINT');
    assert.equal(await cliExit(again.cli), 0, again.cli.output.stderr);
  });

  test('without --demo: root org named by --org-name, credentials path printed, secret never printed', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-start-');
    const cli = run(t, [
      'start',
      '--data-dir',
      dataDir,
      '--org-name',
      'Smoke Org',
      '--tz',
      'Europe/Kyiv',
      ...PORTS,
    ]);
    await started(cli);
    const credentials = await readDataFile<Credentials>(dataDir, 'admin-credentials.json');
    assert.match(cli.output.stdout, /Smoke Org \(#1\), created now/);
    assert.ok(cli.output.stdout.includes(join(dataDir, 'admin-credentials.json')));
    const everything = cli.output.stdout + cli.output.stderr;
    assert.ok(!everything.includes(credentials.clientSecret), 'the secret is not printed or logged');
    await assert.rejects(stat(join(dataDir, 'demo.json')), { code: 'ENOENT' });
    const org = run(t, ['org', 'get', '1', '--json', '--data-dir', dataDir]);
    assert.equal(await cliExit(org), 0, org.output.stderr);
    assert.deepEqual(
      (({ name, tz, type }) => ({ name, tz, type }))(
        JSON.parse(org.output.stdout) as Record<string, unknown>,
      ),
      { name: 'Smoke Org', tz: 'Europe/Kyiv', type: 'ROOT' },
    );
    cli.child.kill('SIGTERM');
    assert.equal(await cliExit(cli), 0, cli.output.stderr);
  });

  test('invalid start settings exit 2 and say why', async (t) => {
    const badTz = run(t, ['start', '--tz', 'Mars/Olympus', '--data-dir', join(tmpdir(), 'never-created')]);
    assert.equal(await cliExit(badTz), 2);
    assert.match(badTz.output.stderr, /--tz: "Mars\/Olympus" is not an IANA time zone/);
    const depth = run(t, ['start', '--org-depth-limit', '0']);
    assert.equal(await cliExit(depth), 2);
    assert.match(depth.output.stderr, /--org-depth-limit: expected an integer 1-64/);
    const help = run(t, ['start', '--help']);
    assert.equal(await cliExit(help), 0);
    for (const flag of [
      '--[no-]demo',
      '--org-name',
      '--access-token-ttl',
      '--history-retention-days',
      '--mqtt-port',
    ]) {
      assert.ok(help.output.stdout.includes(flag), flag);
    }
  });
});
