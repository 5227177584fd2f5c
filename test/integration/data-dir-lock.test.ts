import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { acquireDataDirLock, LOCK_FILE } from '../../src/store/data-dir-lock.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { type Cli, cliExit, cliStarted, localPortArgs, spawnCli } from '../helpers/spawn-cli.js';

const TIMEOUT_MS = 20_000;
const PORTS = localPortArgs('0');

function run(t: TestContext, args: readonly string[]): Cli {
  return spawnCli(t, args, { timeoutMs: TIMEOUT_MS });
}

async function startServer(t: TestContext, command: 'start' | 'broker', dataDir: string): Promise<Cli> {
  const extra = command === 'broker' ? ['--allow-anonymous'] : [];
  const cli = run(t, [command, '--data-dir', dataDir, '--log-level', 'warn', ...PORTS, ...extra]);
  await cliStarted(cli, `devgate ${command}`);
  return cli;
}

async function lockOwner(dataDir: string): Promise<{ pid: number; command: string }> {
  return JSON.parse(await readFile(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number; command: string };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The refusal: one line on stderr naming the owner's pid, exit code 2, nothing on stdout. */
async function assertRefused(cli: Cli, dataDir: string, owner: Cli, ownerCommand: string): Promise<void> {
  assert.equal(await cliExit(cli), 2, cli.output.stderr);
  const pid = owner.child.pid as number;
  const lines = cli.output.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, cli.output.stderr);
  assert.ok(
    lines[0]!.includes(
      `data directory ${dataDir} is in use by devgate ${ownerCommand} (pid ${pid}); stop it first`,
    ),
    cli.output.stderr,
  );
  assert.equal(cli.output.stdout, '');
}

describe('one process per data directory (decision 0012)', () => {
  test('a second start on the same data directory is refused naming the pid; the first keeps its files', async (t) => {
    const dataDir = join(await tempDataDir(t, 'devgate-lock-'), 'data');
    const first = await startServer(t, 'start', dataDir);
    const owner = await lockOwner(dataDir);
    assert.equal(owner.pid, first.child.pid);
    assert.equal(owner.command, 'start');
    const mode = (await stat(join(dataDir, LOCK_FILE))).mode & 0o777;
    assert.equal(mode, 0o600);
    const listeners = await readFile(join(dataDir, 'listeners.json'), 'utf8');

    const second = run(t, ['start', '--data-dir', dataDir, ...PORTS]);
    await assertRefused(second, dataDir, first, 'start');
    assert.equal(await readFile(join(dataDir, 'listeners.json'), 'utf8'), listeners);

    first.child.kill('SIGTERM');
    assert.equal(await cliExit(first), 0, first.output.stderr);
    assert.equal(await exists(join(dataDir, LOCK_FILE)), false, 'a graceful exit removes the lock file');
  });

  test('broker beside start on one data directory is refused, and leaves listeners.json alone', async (t) => {
    const dataDir = join(await tempDataDir(t, 'devgate-lock-'), 'data');
    const server = await startServer(t, 'start', dataDir);
    const listeners = await readFile(join(dataDir, 'listeners.json'), 'utf8');
    const broker = run(t, ['broker', '--allow-anonymous', '--data-dir', dataDir, ...PORTS]);
    await assertRefused(broker, dataDir, server, 'start');
    assert.equal(await readFile(join(dataDir, 'listeners.json'), 'utf8'), listeners);
    // The CLI still finds the running server through listeners.json.
    const list = run(t, ['org', 'list', '--json', '--data-dir', dataDir]);
    assert.equal(await cliExit(list), 0, list.output.stderr);
  });

  test('start beside broker on one data directory is refused too', async (t) => {
    const dataDir = join(await tempDataDir(t, 'devgate-lock-'), 'data');
    const broker = await startServer(t, 'broker', dataDir);
    const start = run(t, ['start', '--data-dir', dataDir, ...PORTS]);
    await assertRefused(start, dataDir, broker, 'broker');
    assert.equal(
      await exists(join(dataDir, 'platform.sqlite')),
      false,
      'the refused start opened no database',
    );
  });

  test('an --offline write is refused while the server runs, and works once it stopped', async (t) => {
    const dataDir = join(await tempDataDir(t, 'devgate-lock-'), 'data');
    const server = await startServer(t, 'start', dataDir);
    const create = ['org', 'create', '--name', 'Offline Org', '--offline', '--json', '--data-dir', dataDir];
    const refused = run(t, create);
    assert.equal(await cliExit(refused), 2, refused.output.stderr);
    assert.match(
      refused.output.stderr,
      new RegExp(
        `is in use by devgate start \\(pid ${server.child.pid}\\); stop it first, or leave out --offline`,
      ),
    );
    assert.equal(refused.output.stderr.trimEnd().split('\n').length, 1);

    server.child.kill('SIGTERM');
    assert.equal(await cliExit(server), 0, server.output.stderr);
    const created = run(t, create);
    assert.equal(await cliExit(created), 0, created.output.stderr);
    assert.equal((JSON.parse(created.output.stdout) as { name: string }).name, 'Offline Org');
    assert.equal(await exists(join(dataDir, LOCK_FILE)), false, 'the offline command released its lock');

    // The restarted server sees what the offline command wrote.
    await startServer(t, 'start', dataDir);
    const list = run(t, ['org', 'list', '--json', '--data-dir', dataDir]);
    assert.equal(await cliExit(list), 0, list.output.stderr);
    const names = (JSON.parse(list.output.stdout) as Array<{ name: string }>).map((org) => org.name);
    assert.ok(names.includes('Offline Org'), list.output.stdout);
  });

  test('the lock of a SIGKILLed server is stale: the next start takes it over', async (t) => {
    const dataDir = join(await tempDataDir(t, 'devgate-lock-'), 'data');
    const killed = await startServer(t, 'start', dataDir);
    killed.child.kill('SIGKILL');
    await cliExit(killed);
    assert.equal((await lockOwner(dataDir)).pid, killed.child.pid, 'SIGKILL leaves the lock file behind');

    const next = await startServer(t, 'start', dataDir);
    assert.equal((await lockOwner(dataDir)).pid, next.child.pid);
    next.child.kill('SIGTERM');
    assert.equal(await cliExit(next), 0, next.output.stderr);
    assert.equal(await exists(join(dataDir, LOCK_FILE)), false);
  });

  test('the CLI names a server that holds the directory but has not written listeners.json yet', async (t) => {
    const dataDir = await tempDataDir(t, 'devgate-lock-');
    // This test process stands in for a server that is still starting.
    const lock = acquireDataDirLock(dataDir, { command: 'start', hint: '' });
    t.after(() => lock.release());
    const list = run(t, ['org', 'list', '--data-dir', dataDir]);
    assert.equal(await cliExit(list), 1, list.output.stderr);
    assert.match(
      list.output.stderr,
      new RegExp(`devgate start \\(pid ${process.pid}\\) holds .* is still starting`),
    );
  });
});
