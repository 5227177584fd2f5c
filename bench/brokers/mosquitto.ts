import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, brokerHandle, spawnBroker, waitFor } from './broker-process.js';

export const MOSQUITTO = process.env.BENCH_MOSQUITTO ?? 'mosquitto';

/** The installed mosquitto's version, or undefined when it is not installed. */
export function mosquittoVersion(): string | undefined {
  try {
    const out = execFileSync(MOSQUITTO, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version ([\d.]+)/.exec(out)?.[1];
  } catch (err) {
    // `mosquitto -h` exits with 3 after printing its usage.
    const out = String((err as { stdout?: string }).stdout ?? '');
    return /version ([\d.]+)/.exec(out)?.[1];
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Per-client QoS 1/2 limits; the defaults are devgate's. */
export interface MosquittoLimits {
  readonly maxInflight: number;
  readonly maxQueued: number;
}

/**
 * mosquitto with settings equivalent to devgate's defaults: loopback listener, anonymous, no
 * persistence, TCP_NODELAY, 100 in-flight and 1000 queued QoS 1 messages per client (or `limits`).
 */
export async function startMosquitto(
  limits: MosquittoLimits = { maxInflight: 100, maxQueued: 1000 },
): Promise<BrokerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-bench-'));
  const port = await freePort();
  const config = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'set_tcp_nodelay true',
    `max_inflight_messages ${limits.maxInflight}`,
    `max_queued_messages ${limits.maxQueued}`,
    'max_connections -1',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
  ].join('\n');
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(file, config);
  const child = spawnBroker(MOSQUITTO, ['-c', file]);
  let up = false;
  await waitFor(
    child,
    () => {
      void accepts(port).then((ok) => {
        up ||= ok;
      });
      return up ? true : undefined;
    },
    15_000,
  );
  return brokerHandle({
    name: 'mosquitto',
    label: 'mosquitto',
    child,
    port,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
}
