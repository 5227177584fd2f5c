import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExitCode } from '../../../src/cli/io.js';
import { ApiError, type ManagementApi } from '../../../src/cli/manage-api.js';
import { RESOURCES, runManage } from '../../../src/cli/manage-command.js';
import type { Device, OAuthClient } from '../../../src/platform/model.js';
import { captureIo } from '../../helpers/cli-io.js';
import { tempDataDir } from '../../helpers/platform-server.js';

const device: Device = {
  id: 7,
  name: 'Boiler',
  templateId: 2,
  orgId: 1,
  ownerUserId: null,
  status: 'CREATED',
  createdAt: 0,
  lastModifiedTs: 0,
};
const client: OAuthClient = {
  id: 3,
  clientId: 'oa2-client-id_abc',
  name: 'ci',
  orgId: 1,
  redirectUrls: [],
  isActive: true,
  createdAt: 0,
};

/** A ManagementApi whose calls are recorded; unlisted calls fail the test. */
function fakeApi(calls: unknown[][]): ManagementApi {
  const record =
    <T>(name: string, result: T | (() => T)) =>
    async (...args: unknown[]): Promise<T> => {
      calls.push([name, ...args]);
      return typeof result === 'function' ? (result as () => T)() : result;
    };
  const unexpected = (name: string) => async (): Promise<never> => assert.fail(`unexpected call ${name}`);
  return {
    orgId: 1,
    target: 'fake',
    orgs: {
      list: unexpected('orgs.list'),
      get: unexpected('orgs.get'),
      create: unexpected('orgs.create'),
      update: unexpected('orgs.update'),
      delete: record('orgs.delete', undefined),
    },
    templates: {
      list: unexpected('templates.list'),
      get: unexpected('templates.get'),
      create: record('templates.create', () => assert.fail('create reached')),
      update: unexpected('templates.update'),
      delete: unexpected('templates.delete'),
    },
    devices: {
      list: record('devices.list', [device]),
      get: record('devices.get', () => {
        throw new ApiError('Device with identifier 8 is not found or belong to another organization.', 404);
      }),
      create: record('devices.create', { device, token: 't'.repeat(32) }),
      update: unexpected('devices.update'),
      token: record('devices.token', 's'.repeat(32)),
      rotateToken: unexpected('devices.rotateToken'),
      delete: unexpected('devices.delete'),
    },
    oauthClients: {
      list: unexpected('oauthClients.list'),
      create: record('oauthClients.create', { client, secret: 'the-secret' }),
      setActive: unexpected('oauthClients.setActive'),
      delete: unexpected('oauthClients.delete'),
    },
    users: {
      list: unexpected('users.list'),
      create: unexpected('users.create'),
      setRole: unexpected('users.setRole'),
      setPassword: unexpected('users.setPassword'),
      delete: unexpected('users.delete'),
    },
    close: async () => undefined,
  };
}

async function run(argv: string[], files: Record<string, string> = {}) {
  const calls: unknown[][] = [];
  let opened = 0;
  const io = captureIo('/work');
  const [resource, ...rest] = argv;
  const code = await runManage(RESOURCES[resource!]!, rest, io, {
    openApi: async () => {
      opened += 1;
      return fakeApi(calls);
    },
    readFile: async (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  });
  return { code, calls, opened, ...io.out };
}

describe('management CLI arguments', () => {
  test('usage errors exit 2 before any connection, with the usage', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['org'], /missing action/],
      [['org', 'frobnicate'], /unknown action "frobnicate"/],
      [['device', 'get'], /missing device id/],
      [['device', 'get', 'abc'], /device id must be a positive integer, got "abc"/],
      [['device', 'get', '0'], /positive integer/],
      [['device', 'get', '1', '2'], /unexpected argument "2"/],
      [['device', 'create', '--name', 'X'], /--template is required/],
      [['device', 'list', '--bogus'], /Unknown option '--bogus'/],
      [['device', 'list', '--org', 'x'], /--org must be a positive integer/],
      [['org', 'create'], /--name is required/],
      [['template', 'create', '--file', 'nope.json'], /cannot read nope.json/],
      [['template', 'create', '--file', 'bad.yaml'], /bad.yaml is not valid YAML or JSON/],
      [['template', 'create', '--file', 'list.json'], /expected an object/],
    ];
    for (const [argv, message] of cases) {
      const result = await run(argv, { '/work/bad.yaml': 'a: [\n', '/work/list.json': '[1]' });
      assert.equal(result.code, ExitCode.Usage, argv.join(' '));
      assert.match(result.stderr, message, argv.join(' '));
      assert.match(result.stderr, /Usage: devgate/, argv.join(' '));
      assert.equal(result.opened, 0, argv.join(' '));
    }
  });

  test('--help prints the actions and the common flags, exit 0', async () => {
    const help = await run(['device', '--help']);
    assert.equal(help.code, ExitCode.Ok);
    for (const action of ['list', 'create', 'get', 'token', 'rotate-token', 'delete']) {
      assert.ok(help.stdout.includes(`devgate device ${action}`), action);
    }
    assert.match(help.stdout, /--offline/);
    const one = await run(['oauth-client', 'create', '--help']);
    assert.match(one.stdout, /create --name <name>/);
  });

  test('API errors exit 1 with the server message', async () => {
    const result = await run(['device', 'get', '8']);
    assert.equal(result.code, ExitCode.Failure);
    assert.equal(
      result.stderr,
      'devgate device get: Device with identifier 8 is not found or belong to another organization.\n',
    );
  });

  test('a readable table by default, JSON with --json', async () => {
    const table = await run(['device', 'list']);
    assert.equal(table.code, ExitCode.Ok);
    assert.match(table.stdout, /^ID\s+NAME\s+TEMPLATE\s+ORG\s+STATUS/);
    assert.match(table.stdout, /\n7\s+Boiler\s+2\s+1\s+CREATED/);
    const json = await run(['device', 'list', '--json', '--org', '1', '--no-sub-orgs']);
    assert.deepEqual(JSON.parse(json.stdout), [device]);
    assert.deepEqual(json.calls, [['devices.list', { orgId: 1, includeSubOrgDevices: false }]]);
  });

  test('arguments reach the API as typed values', async () => {
    const byTmpl = await run(['device', 'create', '--template', 'TMPLabc12345', '--name', 'N', '--org', '3']);
    assert.deepEqual(byTmpl.calls, [['devices.create', { templateId: 'TMPLabc12345', name: 'N', orgId: 3 }]]);
    assert.match(byTmpl.stdout, /token: t{32}/);
    const byNumber = await run(['device', 'create', '--template', '12', '--name', 'N']);
    assert.deepEqual(byNumber.calls, [['devices.create', { templateId: 12, name: 'N' }]]);
    const token = await run(['device', 'token', '7']);
    assert.equal(token.stdout, `${'s'.repeat(32)}\n`);
    const created = await run(['oauth-client', 'create', '--name', 'ci', '--json']);
    assert.deepEqual(JSON.parse(created.stdout), { ...client, secret: 'the-secret' });
    const deleted = await run(['org', 'delete', '5']);
    assert.deepEqual(deleted.calls, [['orgs.delete', 5]]);
    assert.equal(deleted.stdout, 'deleted organization #5\n');
  });
});

describe('management CLI connection', () => {
  test('where to connect: clear errors for missing servers, credentials and conflicting flags', async (t) => {
    const dir = await tempDataDir(t);
    const connect = async (argv: string[], env: Record<string, string> = {}) => {
      const io = captureIo(dir, env);
      const code = await runManage(RESOURCES.device!, ['list', '--data-dir', dir, ...argv], io);
      return { code, ...io.out };
    };
    const none = await connect([]);
    assert.equal(none.code, ExitCode.Failure);
    assert.match(none.stderr, /no running server found .*listeners\.json is missing/);
    const half = await connect(['--url', 'http://127.0.0.1:9', '--client-id', 'x']);
    assert.equal(half.code, ExitCode.Usage);
    assert.match(half.stderr, /--client-id and --client-secret must be given together/);
    const noCreds = await connect(['--url', 'http://127.0.0.1:9']);
    assert.equal(noCreds.code, ExitCode.Usage);
    assert.match(noCreds.stderr, /admin-credentials\.json is missing/);
    const both = await connect(['--url', 'http://127.0.0.1:9', '--offline']);
    assert.equal(both.code, ExitCode.Usage);
    const badUrl = await connect(['--url', 'ftp://x']);
    assert.equal(badUrl.code, ExitCode.Usage);
    const empty = await connect(['--offline']);
    assert.equal(empty.code, ExitCode.Failure);
    assert.match(empty.stderr, /holds no platform data yet/);
    const unreachable = await connect(['--url', 'http://127.0.0.1:9'], {
      DEVGATE_CLIENT_ID: 'a',
      DEVGATE_CLIENT_SECRET: 'b',
    });
    assert.equal(unreachable.code, ExitCode.Failure);
    assert.match(unreachable.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
