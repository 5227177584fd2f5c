import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/**
 * Ports free on 127.0.0.1 right now, for child processes that must be told their port up front
 * (HAProxy, a node restarted on the same port). Prefer port 0 where the process can report the
 * port it got.
 *
 * They are picked below the kernel's ephemeral range: a port from that range, once released, may
 * be taken again by any outgoing connection (a database client, a health check) or port-0 listener
 * before the child binds it, while a port below it is only ever taken by an explicit bind.
 */

const LOWEST = 10_000;

/** The first port of the kernel's ephemeral range (Linux; 32768 where it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + 1000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(undefined));
    probe.listen(port, '127.0.0.1', () => resolve(probe));
  });
}

/** `count` distinct free ports (held open together while picking, so none repeats). */
export async function freePorts(count: number): Promise<number[]> {
  const high = ephemeralLow();
  const held: Server[] = [];
  try {
    for (let attempts = 0; held.length < count; attempts += 1) {
      if (attempts > 100 * count) throw new Error(`no ${count} free ports below ${high}`);
      const candidate = LOWEST + Math.floor(Math.random() * (high - LOWEST));
      const probe = await listen(candidate);
      if (probe !== undefined) held.push(probe);
    }
    return held.map((probe) => (probe.address() as { port: number }).port);
  } finally {
    await Promise.all(held.map((probe) => new Promise<void>((resolve) => probe.close(() => resolve()))));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
