import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../../src/cli/io.js';
import { RESOURCES, runManage } from '../../src/cli/manage-command.js';
import { captureIo } from '../helpers/cli-io.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { testBackend } from '../helpers/test-backend.js';

interface UserAnswer {
  id: number;
  email: string;
  role: string;
  orgId: number;
  password?: string;
}

/** `devgate user …` bound to one data directory and connection flags. */
function userCli(dir: string, connection: readonly string[]) {
  return async (...args: string[]) => {
    const io = captureIo(dir);
    const argv = [...args, '--json', '--data-dir', join(dir, 'data'), ...connection];
    const code = await runManage(RESOURCES.user!, argv, io);
    const json = (code === ExitCode.Ok ? JSON.parse(io.out.stdout) : {}) as UserAnswer & UserAnswer[];
    return { code, json, stderr: io.out.stderr };
  };
}

test('devgate user create|list|set-role|set-password|delete against a running server', async (t) => {
  const dir = await tempDataDir(t, 'devgate-users-');
  const running = await startPlatformServer(t, join(dir, 'data'));
  const run = userCli(dir, []);
  const created = await run(
    'create',
    '--email',
    'Ops@Example.com',
    '--role',
    'staff',
    '--password',
    'ops password 1',
  );
  assert.equal(created.code, ExitCode.Ok, created.stderr);
  assert.deepEqual(
    [created.json.email, created.json.role, created.json.orgId],
    ['ops@example.com', 'staff', running.admin.root.id],
  );
  assert.equal(created.json.password, undefined, 'a given password is not echoed');
  const id = String(created.json.id);
  assert.deepEqual(
    (await run('list')).json.map((u) => [u.email, u.role]),
    [
      ['admin@devgate.local', 'admin'],
      ['ops@example.com', 'staff'],
    ],
  );
  assert.equal((await run('set-role', id, '--role', 'viewer')).json.role, 'viewer');
  const reset = await run('set-password', id);
  assert.equal(reset.code, ExitCode.Ok, reset.stderr);
  assert.ok(
    reset.json.password !== undefined && reset.json.password.length >= 20,
    'a generated password is printed once',
  );
  assert.ok(await running.platform.sessions.login('ops@example.com', reset.json.password));
  const short = await run('set-password', id, '--password', 'short');
  assert.equal(short.code, ExitCode.Failure);
  assert.match(short.stderr, /password must be 10 to 256 characters long/);
  const badRole = await run('set-role', id, '--role', 'owner');
  assert.equal(badRole.code, ExitCode.Usage);
  assert.equal((await run('delete', id)).code, ExitCode.Ok);
  const admin = (await run('list')).json[0]!;
  const last = await run('delete', String(admin.id));
  assert.equal(last.code, ExitCode.Failure);
  assert.match(last.stderr, /last Admin of the root organization/);
});

const sqliteOnly = testBackend === 'postgres' ? '--offline works on a SQLite data directory only' : false;

test('devgate user --offline on a stopped data directory; the restarted server signs the user in', {
  skip: sqliteOnly,
}, async (t) => {
  const dir = await tempDataDir(t, 'devgate-users-');
  const running = await startPlatformServer(t, join(dir, 'data'));
  await running.close();
  const run = userCli(dir, ['--offline']);
  const created = await run('create', '--email', 'night@example.com', '--role', 'admin');
  assert.equal(created.code, ExitCode.Ok, created.stderr);
  const password = created.json.password;
  assert.ok(password !== undefined);
  assert.equal((await run('list')).json.length, 2);
  const again = await startPlatformServer(t, join(dir, 'data'));
  const login = await fetch(`${again.httpUrl}/api/v1/session/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'night@example.com', password }),
  });
  assert.equal(login.status, 200);
  assert.equal(again.admin.userCreated, false);
});
