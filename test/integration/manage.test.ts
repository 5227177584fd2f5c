import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ExitCode } from '../../src/cli/io.js';
import { RESOURCES, runManage } from '../../src/cli/manage-command.js';
import { captureIo } from '../helpers/cli-io.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';

/** The fields these tests read from `--json` answers (objects, or lists of them). */
interface Answer {
  id: number;
  name: string;
  templateId: string;
  token: string;
  secret: string;
  clientId: string;
  orgId: number;
  parentOrganizationId: number;
  isActive: boolean;
  gatewayEnabled: boolean;
}

/** A `devgate <resource> …` runner bound to one data directory and connection flags. */
function cli(dir: string, connection: readonly string[]) {
  return async (resource: string, ...args: string[]) => {
    const io = captureIo(dir);
    const argv = [...args, '--json', '--data-dir', join(dir, 'data'), ...connection];
    const code = await runManage(RESOURCES[resource]!, argv, io);
    const json = (code === ExitCode.Ok ? JSON.parse(io.out.stdout) : {}) as Answer & Answer[];
    return { code, json, stderr: io.out.stderr };
  };
}

const TEMPLATE = JSON.stringify({
  name: 'Meter',
  gatewayEnabled: false,
  datastreams: [{ name: 'Energy', pin: 0, type: 'Double', min: 0, isSync: true }],
});

describe('management commands (spec §6.4 Platform API via the CLI)', () => {
  test('org, template, device and oauth-client commands against a running server', async (t) => {
    const dir = await tempDataDir(t, 'devgate-manage-');
    const running = await startPlatformServer(t, join(dir, 'data'));
    // Base URL and credentials come from listeners.json and admin-credentials.json.
    const run = cli(dir, []);

    const org = await run('org', 'create', '--name', 'Branch One', '--tz', 'Europe/Kyiv');
    assert.equal(org.code, ExitCode.Ok, org.stderr);
    assert.equal(org.json.parentOrganizationId, running.admin.root.id);
    assert.deepEqual(
      (await run('org', 'list')).json.map((o) => o.name),
      ['My Organization', 'Branch One'],
    );

    await writeFile(join(dir, 'meter.json'), TEMPLATE);
    const template = await run('template', 'create', '--file', 'meter.json');
    assert.equal(template.code, ExitCode.Ok, template.stderr);
    await writeFile(join(dir, 'patch.yaml'), 'gatewayEnabled: true\n');
    const updated = await run('template', 'update', template.json.templateId, '--file', 'patch.yaml');
    assert.equal(updated.json.gatewayEnabled, true);
    assert.equal((await run('template', 'get', String(template.json.id))).json.name, 'Meter');

    const device = await run(
      'device',
      'create',
      '--template',
      template.json.templateId,
      '--name',
      'Meter 1',
      '--org',
      String(org.json.id),
    );
    assert.equal(device.code, ExitCode.Ok, device.stderr);
    assert.equal(device.json.orgId, org.json.id);
    const id = String(device.json.id);
    assert.equal((await run('device', 'token', id)).json.token, device.json.token);
    const rotated = await run('device', 'rotate-token', id);
    assert.notEqual(rotated.json.token, device.json.token);
    assert.equal(await running.platform.devices.authenticateToken(device.json.token), undefined);
    assert.equal((await running.platform.devices.authenticateToken(rotated.json.token))?.id, device.json.id);
    assert.equal((await run('device', 'get', id)).json.name, 'Meter 1');
    const inUse = await run('template', 'delete', template.json.templateId);
    assert.equal(inUse.code, ExitCode.Failure);
    assert.ok(inUse.stderr.length > 0);

    const client = await run('oauth-client', 'create', '--name', 'ci');
    assert.match(client.json.secret, /.{20,}/);
    assert.equal((await run('oauth-client', 'disable', String(client.json.id))).json.isActive, false);
    assert.equal(
      (await running.platform.oauth.verifyClient(client.json.clientId, client.json.secret))?.isActive,
      false,
    );
    assert.equal((await run('oauth-client', 'enable', String(client.json.id))).json.isActive, true);
    // The new client works as credentials for the CLI too.
    const asClient = cli(dir, ['--client-id', client.json.clientId, '--client-secret', client.json.secret]);
    assert.equal((await asClient('device', 'list')).json.length, 1);
    assert.equal((await run('oauth-client', 'delete', String(client.json.id))).code, ExitCode.Ok);
    const gone = await asClient('device', 'list');
    assert.equal(gone.code, ExitCode.Failure);
    assert.match(gone.stderr, /cannot get an access token/);

    assert.equal((await run('device', 'delete', id)).code, ExitCode.Ok);
    const missing = await run('device', 'get', id);
    assert.equal(missing.code, ExitCode.Failure);
    assert.match(missing.stderr, new RegExp(`Device with identifier ${id} is not found`));
    assert.equal((await run('template', 'delete', template.json.templateId)).code, ExitCode.Ok);
    assert.equal((await run('org', 'delete', String(org.json.id))).code, ExitCode.Ok);
  });

  test('--offline on a stopped data directory', async (t) => {
    const dir = await tempDataDir(t, 'devgate-manage-');
    const running = await startPlatformServer(t, join(dir, 'data'));
    await running.close();
    const run = cli(dir, ['--offline']);
    await writeFile(join(dir, 'meter.json'), TEMPLATE);
    const template = await run('template', 'create', '--file', 'meter.json');
    assert.equal(template.code, ExitCode.Ok, template.stderr);
    const device = await run(
      'device',
      'create',
      '--template',
      template.json.templateId,
      '--name',
      'Offline Meter',
    );
    assert.equal(device.code, ExitCode.Ok, device.stderr);
    assert.equal((await run('device', 'token', String(device.json.id))).json.token, device.json.token);
    assert.equal((await run('org', 'list')).json.length, 1);
    // A restarted server serves the token written offline.
    const again = await startPlatformServer(t, join(dir, 'data'));
    assert.equal((await again.platform.devices.authenticateToken(device.json.token))?.id, device.json.id);
  });

  test('--offline --secret-key-file: a data directory whose key lives elsewhere (spec §6.4, as devgate start takes it)', async (t) => {
    const dir = await tempDataDir(t, 'devgate-manage-');
    const keyFile = join(dir, 'keys', 'devgate.key');
    const running = await startPlatformServer(t, join(dir, 'data'), ['--secret-key-file', keyFile]);
    await running.close();
    const withKey = await cli(dir, ['--offline', '--secret-key-file', keyFile])('org', 'list');
    assert.equal(withKey.code, ExitCode.Ok, withKey.stderr);
    assert.equal(withKey.json.length, 1);
    const without = await cli(dir, ['--offline'])('org', 'list');
    assert.equal(without.code, ExitCode.Failure);
    assert.match(
      without.stderr,
      /secret\.key does not exist: give the --secret-key-file the server runs with/,
    );
  });

  test('--offline is refused while a database URL is configured (servers on PostgreSQL hold caches it would bypass)', async (t) => {
    const dir = await tempDataDir(t, 'devgate-manage-');
    const io = captureIo(dir, { DEVGATE_DATABASE_URL: 'postgres://devgate@127.0.0.1:1/devgate' });
    const argv = ['list', '--json', '--data-dir', join(dir, 'data'), '--offline'];
    assert.equal(await runManage(RESOURCES.org!, argv, io), ExitCode.Usage);
    assert.match(io.out.stderr, /--offline works on a SQLite data directory/);
  });
});
