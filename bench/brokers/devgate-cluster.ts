import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { type ProcSample, sampleProcess, sampleTree } from '../lib/proc-stats.js';
import type { BrokerHandle } from './broker-process.js';
import { startDevgate } from './devgate.js';
import { type BenchRedis, startRedisServer } from './redis-server.js';

/** CPU seconds of each part of a cluster at one instant (scenario 6's accounting). */
export interface PartsSample {
  readonly at: number;
  /** Each node's process tree, node 1 first. */
  readonly nodes: readonly number[];
  readonly redis: number;
  /** The PostgreSQL backends serving the cluster's database, by pid. */
  readonly postgres: ReadonlyMap<number, number>;
}

/** Shares of one core between two PartsSamples, in percent. */
export interface PartsCpu {
  readonly nodes: readonly number[];
  readonly nodesTotal: number;
  readonly redis: number;
  readonly postgres: number;
}

export interface DevgateCluster {
  readonly nodes: readonly BrokerHandle[];
  /** All nodes as one broker: host and port of node 1, CPU summed over every node's process tree. */
  readonly combined: BrokerHandle;
  readonly redisUrl: string;
  /** The cluster's fresh database. */
  readonly databaseUrl: string;
  /** Redis calls so far by command. */
  redisCalls(): Promise<Map<string, number>>;
  /** Every PartsSample taken by `combined.sample()`, in order (the phases sample before and after). */
  readonly history: PartsSample[];
  sampleParts(): PartsSample;
  /** Re-reads which PostgreSQL backends serve the database (pools grow as nodes get busy). */
  refreshPostgresPids(): Promise<void>;
  stop(): Promise<void>;
}

function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  } catch {
    return undefined;
  }
}

export function partsCpu(before: PartsSample, after: PartsSample): PartsCpu {
  const seconds = (after.at - before.at) / 1000;
  const share = (a: number, b: number): number => (seconds > 0 ? (100 * (b - a)) / seconds : 0);
  const nodes = after.nodes.map((cpu, i) => share(before.nodes[i] ?? cpu, cpu));
  let postgres = 0;
  // Only backends alive at both ends: one that came or went in between is not counted.
  for (const [pid, cpu] of after.postgres) {
    const was = before.postgres.get(pid);
    if (was !== undefined) postgres += share(was, cpu);
  }
  return {
    nodes,
    nodesTotal: nodes.reduce((a, b) => a + b, 0),
    redis: share(before.redis, after.redis),
    postgres,
  };
}

/** A fresh database on the server of `baseUrl` (its user may create one), dropped by `drop()`. */
async function freshDatabase(baseUrl: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `devgate_bench_cluster_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface ClusterStartOptions {
  readonly nodes: number;
  /** The server for a fresh throwaway database (`--database-url` of the bench). */
  readonly databaseUrl: string;
  readonly cpuProfDir?: string;
  readonly extraArgs?: readonly string[];
  /** `broker` (default: plain, anonymous clients) or `start` (the platform; see `prepare`). */
  readonly command?: 'broker' | 'start';
  /**
   * Run on the fresh database before the nodes start (`devgate start`: create the devices);
   * returns node 1's data directory (the others get fresh ones) and more arguments for every node.
   */
  readonly prepare?: (databaseUrl: string) => Promise<{ dataDir: string; nodeArgs: readonly string[] }>;
}

/**
 * A throwaway cluster of `devgate broker` nodes as real processes: a fresh database on the given
 * PostgreSQL server, a redis-server of its own, and nodes `node-1`… with `--database-url`,
 * `--redis-url` and `--node-id`. Node 1 starts first (it migrates the schema), the rest together.
 * No balancer: clients connect to a node's own port.
 */
export async function startDevgateCluster(options: ClusterStartOptions): Promise<DevgateCluster> {
  const database = await freshDatabase(options.databaseUrl);
  let redis: BenchRedis | undefined;
  const nodes: BrokerHandle[] = [];
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    await admin.end().catch(() => undefined);
    await database.drop();
  };
  try {
    await admin.connect();
    redis = await startRedisServer();
    const redisUrl = redis.url;
    const prepared = await options.prepare?.(database.url);
    const startNode = async (i: number): Promise<BrokerHandle> =>
      startDevgate({
        command: options.command ?? 'broker',
        label: `node-${i + 1}`,
        ...(i === 0 && prepared !== undefined ? { dataDir: prepared.dataDir } : {}),
        extraArgs: [
          ...['--database-url', database.url, '--redis-url', redisUrl, '--node-id', `node-${i + 1}`],
          ...(prepared?.nodeArgs ?? []),
          ...(options.extraArgs ?? []),
        ],
        ...(options.cpuProfDir === undefined ? {} : { cpuProfDir: options.cpuProfDir }),
      });
    nodes.push(await startNode(0));
    nodes.push(...(await Promise.all(Array.from({ length: options.nodes - 1 }, (_, i) => startNode(i + 1)))));
    return clusterView(nodes, redis, admin, database, stopAll);
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

function clusterView(
  nodes: readonly BrokerHandle[],
  redis: BenchRedis,
  admin: pg.Client,
  database: { readonly url: string; readonly name: string },
  stop: () => Promise<void>,
): DevgateCluster {
  let postgresPids: number[] = [];
  const history: PartsSample[] = [];
  const sampleParts = (): PartsSample => ({
    at: performance.now(),
    nodes: nodes.map((n) => sampleTree(n.pid)?.cpuSeconds ?? 0),
    redis: procCpuSeconds(redis.pid) ?? 0,
    postgres: new Map(
      postgresPids.flatMap((pid) => {
        const cpu = procCpuSeconds(pid);
        return cpu === undefined ? [] : [[pid, cpu] as const];
      }),
    ),
  });
  const first = nodes[0]!;
  const combined: BrokerHandle = {
    ...first,
    label: `devgate cluster (${nodes.length} node${nodes.length === 1 ? '' : 's'})`,
    sample: (): ProcSample | undefined => {
      const parts = sampleParts();
      history.push(parts);
      const rss = nodes.reduce((sum, n) => sum + (sampleProcess(n.pid)?.rssBytes ?? 0), 0);
      return { cpuSeconds: parts.nodes.reduce((a, b) => a + b, 0), rssBytes: rss, at: parts.at };
    },
    stop,
  };
  return {
    nodes,
    combined,
    redisUrl: redis.url,
    databaseUrl: database.url,
    redisCalls: () => redis.commandCalls(),
    history,
    sampleParts,
    refreshPostgresPids: async () => {
      const { rows } = await admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = $1',
        [database.name],
      );
      postgresPids = rows.map((r) => r.pid);
    },
    stop,
  };
}
