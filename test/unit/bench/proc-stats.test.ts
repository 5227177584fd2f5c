import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { childPids, sampleProcess, sampleTree, treePids } from '../../../bench/lib/proc-stats.js';
import { socketWorkersFor } from '../../../bench/scenarios/connections.js';

/** A node process that forks one grandchild and prints its pid, then idles until killed. */
function spawnTree(): Promise<{ parent: ChildProcess; grandchild: number }> {
  const script = `
    const { spawn } = require('node:child_process');
    const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    process.stdout.write(String(c.pid) + '\\n');
    process.on('SIGTERM', () => { c.kill('SIGKILL'); process.exit(0); });
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    parent.once('error', reject);
    parent.stdout!.once('data', (chunk: Buffer) => resolve({ parent, grandchild: Number(chunk.toString()) }));
  });
}

test('proc-stats: a tree sample holds the root first and every descendant, RSS and CPU summed', async (t) => {
  const { parent, grandchild } = await spawnTree();
  t.after(async () => {
    try {
      process.kill(grandchild, 'SIGKILL');
    } catch {
      // already gone
    }
    if (parent.exitCode === null) {
      parent.kill('SIGTERM');
      await once(parent, 'exit');
    }
  });
  const root = process.pid;
  assert.ok(childPids(root).includes(parent.pid!));
  const pids = treePids(root);
  assert.equal(pids[0], root);
  assert.ok(pids.includes(parent.pid!) && pids.includes(grandchild));

  const tree = sampleTree(parent.pid!, { fds: true });
  assert.ok(tree !== undefined);
  assert.deepEqual(
    tree.members.map((m) => m.pid),
    [parent.pid, grandchild],
  );
  assert.equal(tree.main.pid, parent.pid);
  const sum = tree.members.reduce((a, m) => a + m.rssBytes, 0);
  assert.equal(tree.rssBytes, sum);
  assert.ok(tree.rssBytes > tree.main.rssBytes);
  assert.ok(tree.members.every((m) => m.fds !== undefined && m.fds >= 3));
  assert.equal(sampleTree(parent.pid!)?.main.fds, undefined);
});

test('proc-stats: a process that is gone samples as undefined', async () => {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  assert.equal(sampleProcess(child.pid!), undefined);
  assert.equal(sampleTree(child.pid!), undefined);
});

test('connections: socket workers keep each below 18,000 connections (open files 20,000)', () => {
  assert.equal(socketWorkersFor(2_000), 1);
  assert.equal(socketWorkersFor(18_000), 1);
  assert.equal(socketWorkersFor(19_000), 2);
  assert.equal(socketWorkersFor(50_000), 3);
  assert.equal(socketWorkersFor(100_000), 6);
});
