import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Debian's `redis-server` (package `redis-server`); DEVGATE_REDIS_SERVER overrides the path. */
export const redisServerPath = process.env.DEVGATE_REDIS_SERVER ?? '/usr/bin/redis-server';

/** CI sets this: a Redis suite that would skip fails instead. */
export const redisRequired = process.env.DEVGATE_REQUIRE_REDIS === '1';

const SKIP_REASON = `redis-server not found at ${redisServerPath} (Debian package redis-server; .ci/run installs it)`;

/** `test()` options for a Redis test: skipped without the binary, unless DEVGATE_REQUIRE_REDIS=1. */
export function redisTestOptions(): { skip: string | false } {
  return { skip: !existsSync(redisServerPath) && !redisRequired ? SKIP_REASON : false };
}

/** A throwaway redis-server owned by one test: its own port and directory, nothing persisted. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGKILL: nothing is saved, as after a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      redisServerPath,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.resume();
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)),
    );
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Starts a redis-server on a free loopback port for this test; stopped and removed after it. */
export async function startRedis(t: TestContext): Promise<TestRedis> {
  if (!existsSync(redisServerPath)) throw new Error(SKIP_REASON);
  const dir = mkdtempSync(join(tmpdir(), 'devgate-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port, dir);
  t.after(async () => {
    if (child !== undefined) await stop(child);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      if (child !== undefined) await stop(child);
      child = undefined;
    },
    async start() {
      if (child === undefined) child = await launch(port, dir);
    },
  };
}
