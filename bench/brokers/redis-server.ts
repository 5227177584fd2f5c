import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './broker-process.js';

/** Debian's `redis-server` (package `redis-server`); DEVGATE_REDIS_SERVER overrides the path. */
export const REDIS_SERVER = process.env.DEVGATE_REDIS_SERVER ?? '/usr/bin/redis-server';

/** A throwaway redis-server for one bench case: its own port and directory, nothing persisted. */
export interface BenchRedis {
  readonly url: string;
  readonly pid: number;
  /** Calls so far by command (`INFO commandstats`): what the nodes asked of Redis. */
  commandCalls(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** `INFO commandstats` over a raw socket (inline command, one bulk reply), as calls by command. */
function commandCalls(port: number): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      text += chunk;
      const header = /^\$(\d+)\r\n/.exec(text);
      if (header === null || Buffer.byteLength(text) < header[0].length + Number(header[1])) return;
      socket.end();
      const calls = new Map<string, number>();
      for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]));
      resolve(calls);
    });
    socket.write('INFO commandstats\r\n');
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
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

/**
 * Starts redis-server on a free loopback port (the bench does not use the test helpers: bench/
 * depends on src/ only). Persistence is off: a cluster's Redis holds what the nodes rebuild.
 */
export async function startRedisServer(): Promise<BenchRedis> {
  if (!existsSync(REDIS_SERVER))
    throw new Error(`redis-server not found at ${REDIS_SERVER} (apt-get install redis-server)`);
  const dir = mkdtempSync(join(tmpdir(), 'devgate-bench-redis-'));
  const port = await freePort();
  const child = await launch(port, dir);
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    commandCalls: () => commandCalls(port),
    stop: async () => {
      await stopChild(child, 2000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
