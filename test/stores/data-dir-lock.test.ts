import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  acquireDataDirLock,
  DataDirLockedError,
  dataDirOwner,
  LOCK_FILE,
  type LockOwner,
} from '../../src/store/data-dir-lock.js';
import { tempDataDir } from '../helpers/platform-server.js';

const OPTIONS = { command: 'start', hint: 'stop it first or use another --data-dir' };

async function writeOwner(dir: string, owner: Partial<LockOwner> | string): Promise<void> {
  const text = typeof owner === 'string' ? owner : JSON.stringify(owner);
  await writeFile(join(dir, LOCK_FILE), text, { mode: 0o600 });
}

async function owner(dir: string): Promise<LockOwner> {
  return JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as LockOwner;
}

/** A pid that certainly belongs to no process: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('data directory lock (decision 0012)', () => {
  test('taken with the pid, 0600; refused while held; release removes it and is idempotent', async (t) => {
    const dir = await tempDataDir(t, 'devgate-lock-');
    const lock = acquireDataDirLock(dir, OPTIONS);
    assert.equal((await owner(dir)).pid, process.pid);
    assert.equal((await owner(dir)).command, 'start');
    assert.equal((await stat(lock.path)).mode & 0o777, 0o600);
    assert.throws(
      () => acquireDataDirLock(dir, { command: 'broker', hint: 'stop it first' }),
      (err: unknown) =>
        err instanceof DataDirLockedError &&
        err.message ===
          `data directory ${dir} is in use by devgate start (pid ${process.pid}); stop it first`,
    );
    lock.release();
    lock.release();
    assert.equal(await exists(lock.path), false);
    acquireDataDirLock(dir, OPTIONS).release();
  });

  test('stale: the owner pid is dead', async (t) => {
    const dir = await tempDataDir(t, 'devgate-lock-');
    await writeOwner(dir, { pid: await deadPid(), command: 'start', host: hostname() });
    const lock = acquireDataDirLock(dir, OPTIONS);
    assert.equal((await owner(dir)).pid, process.pid);
    lock.release();
  });

  test('stale: the pid is alive but started at another time (a reused pid, not that devgate)', async (t) => {
    const dir = await tempDataDir(t, 'devgate-lock-');
    const probe = acquireDataDirLock(dir, OPTIONS);
    const ticks = (await owner(dir)).startTicks;
    probe.release();
    if (ticks === undefined) {
      t.skip('no /proc/PID/stat start time on this system');
      return;
    }
    // Our own pid (alive), recorded with another start time: the pid was reused.
    await writeOwner(dir, { pid: process.pid, command: 'start', host: hostname(), startTicks: ticks - 1 });
    const lock = acquireDataDirLock(dir, OPTIONS);
    assert.equal((await owner(dir)).startTicks, ticks);
    lock.release();
  });

  test('stale: an empty or unreadable lock file (a crash between create and write)', async (t) => {
    const dir = await tempDataDir(t, 'devgate-lock-');
    await writeOwner(dir, '');
    acquireDataDirLock(dir, OPTIONS).release();
    await writeOwner(dir, '{"pid":"x"}');
    acquireDataDirLock(dir, OPTIONS).release();
  });

  test('held: a live process of another user counts (EPERM), and a lock from another host cannot be checked', async (t) => {
    const dir = await tempDataDir(t, 'devgate-lock-');
    // pid 1 is alive on every system; its start time is not known to the lock file.
    await writeOwner(dir, { pid: 1, command: 'broker', host: hostname() });
    assert.throws(() => acquireDataDirLock(dir, OPTIONS), /in use by devgate broker \(pid 1\)/);
    await writeOwner(dir, { pid: await deadPid(), command: 'start', host: 'elsewhere.example' });
    assert.throws(() => acquireDataDirLock(dir, OPTIONS), /\(pid \d+ on host elsewhere\.example\)/);
  });

  test('release leaves a lock another process took over in place', async (t) => {
    const dir = await tempDataDir(t, 'devgate-lock-');
    const lock = acquireDataDirLock(dir, OPTIONS);
    const other = JSON.stringify({ pid: 1, command: 'start', host: hostname() });
    await writeOwner(dir, other);
    lock.release();
    assert.equal(await readFile(join(dir, LOCK_FILE), 'utf8'), other);
  });

  test('dataDirOwner names a live owner only', async (t) => {
    const dir = await tempDataDir(t, 'devgate-lock-');
    assert.equal(dataDirOwner(dir), undefined);
    const lock = acquireDataDirLock(dir, OPTIONS);
    assert.equal(dataDirOwner(dir)?.pid, process.pid);
    lock.release();
    await writeOwner(dir, { pid: await deadPid(), command: 'start', host: hostname() });
    assert.equal(dataDirOwner(dir), undefined);
  });
});
