import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { openClusterPool } from '../../src/cluster/postgres/schema.js';
import { freshDatabase } from '../helpers/postgres.js';

/**
 * A fresh database with the cluster tables and a pool on it; `closers` run (in reverse) before
 * the pool ends and the database is dropped, so membership timers and queues stop first.
 */
export async function clusterDatabase(
  t: TestContext,
): Promise<{ url: string; pool: pg.Pool; closeFirst: (close: () => Promise<unknown>) => void }> {
  const closers: (() => Promise<unknown>)[] = [];
  let pool: pg.Pool | undefined;
  const url = await freshDatabase(t, async () => {
    for (const close of closers.reverse()) await close();
    await pool?.end();
  });
  pool = await openClusterPool(url);
  return { url, pool, closeFirst: (close) => closers.push(close) };
}

/** `url` with its port replaced (to go through a TcpProxy). */
export function viaPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

/**
 * Polls `condition` every 10 ms until it holds: for state that has no event (rows in another
 * process's view, counters of timers). Fails with `what` after `ms`.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** The first call of a listener registered with `on`, as a promise of its arguments. */
export function once<A extends unknown[]>(
  on: (listener: (...args: A) => void) => () => void,
  ms = 5000,
): Promise<A> {
  return new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${ms} ms waiting for a listener call`));
    }, ms);
    const off = on((...args) => {
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}
