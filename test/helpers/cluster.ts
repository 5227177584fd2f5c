import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { SECRET_KEY_BYTES } from '../../src/lib/secret-key-file.js';
import { readAdminCredentials } from '../../src/platform/admin-bootstrap.js';
import type { AdminCredentials } from '../../src/platform/bootstrap.js';
import { ClusterApi } from './cluster-api.js';
import { balancerPortCount, type ClusterBalancer, startBalancer } from './cluster-balancer.js';
import { ClusterNode, type NodeSetup } from './cluster-node.js';
import { freePorts } from './free-port.js';
import { haproxyBinary } from './haproxy.js';
import { freshDatabase, postgresTestOptions } from './postgres.js';
import { redisTestOptions, startRedis, type TestRedis } from './redis.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/**
 * A devgate cluster for one test: N real `devgate start` (or `devgate broker`) processes on one
 * fresh PostgreSQL database and one throwaway Redis, one token key, each node its own data
 * directory and node id, behind a real HAProxy (TCP mode, PROXY v2, health checks on /readyz).
 * Everything is killed and removed after the test, pass or fail.
 */

/**
 * Whether `devgate` has the cluster settings (`--redis-url`, `--node-id`). Until it does, the
 * nodes start without them: they share the database only, which is what the harness tests check.
 */
export const CLUSTER_FLAGS = true;

/** Node environment: membership heartbeat 300 ms, dead after 1.5 s (docs/operations.md tuning knobs). */
export const FAST_MEMBERSHIP = { DEVGATE_CLUSTER_HEARTBEAT_MS: '300', DEVGATE_CLUSTER_DEAD_AFTER_MS: '1500' };

export interface ClusterOptions {
  readonly nodes?: number;
  readonly haproxy?: boolean;
  readonly redis?: boolean;
  /** `start` (the platform, default) or `broker` (plain MQTT, anonymous clients allowed). */
  readonly command?: 'start' | 'broker';
  /** More arguments for every node, or per node (index from 0). */
  readonly nodeArgs?: readonly string[] | ((index: number) => readonly string[]);
  /** Added to every node's environment. */
  readonly env?: Record<string, string>;
  /** Pass `--redis-url` and `--node-id` (default CLUSTER_FLAGS). */
  readonly clusterFlags?: boolean;
  /**
   * Node indexes whose PostgreSQL (`database`) or Redis (`redis`) connections go through their own
   * TCP relay (`Cluster.relays`), so a test can cut one node off while the others stay connected.
   */
  readonly relayed?: { readonly database?: readonly number[]; readonly redis?: readonly number[] };
}

/** One node's relays (see ClusterOptions.relayed). */
export interface NodeRelays {
  readonly database?: TcpProxy;
  readonly redis?: TcpProxy;
}

export interface Cluster {
  readonly nodes: readonly ClusterNode[];
  /** The balancer's addresses (node 1's without HAProxy). */
  readonly mqttUrl: string;
  readonly httpUrl: string;
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly databaseUrl: string;
  readonly redis: TestRedis | undefined;
  readonly balancer: ClusterBalancer | undefined;
  readonly secretKeyFile: string;
  /** By node index: the relays of ClusterOptions.relayed (empty for the others). */
  readonly relays: readonly NodeRelays[];
  /** `devgate start`: the admin OAuth client node 1 made on its first start (admin-credentials.json). */
  admin(): Promise<AdminCredentials>;
  /** `devgate start`: the Platform API of `node` (default: the balancer) as the admin client. */
  api(node?: ClusterNode): Promise<ClusterApi>;
}

/**
 * `test()` options for a cluster test: skipped with the reason when PostgreSQL, Redis or HAProxy is
 * missing, unless CI requires them (DEVGATE_REQUIRE_POSTGRES / _REDIS / _HAPROXY), where the test
 * then fails on the missing part.
 */
export function clusterTestOptions(): { skip: string | false } {
  const missingHaproxy =
    haproxyBinary() === undefined && process.env.DEVGATE_REQUIRE_HAPROXY !== '1'
      ? 'haproxy not installed (apt-get install haproxy)'
      : false;
  return { skip: postgresTestOptions().skip || redisTestOptions().skip || missingHaproxy };
}

/** The command line of one node (exported for the harness's own tests). */
export function clusterNodeArgs(
  setup: Omit<NodeSetup, 'args' | 'env'>,
  shared: Pick<SharedParts, 'redis' | 'secretKeyFile'>,
  options: ClusterOptions,
): string[] {
  const { command = 'start', haproxy = true, clusterFlags = CLUSTER_FLAGS } = options;
  const extra =
    typeof options.nodeArgs === 'function' ? options.nodeArgs(setup.index) : (options.nodeArgs ?? []);
  return [
    ...['--data-dir', setup.dataDir, '--host', '127.0.0.1'],
    ...['--mqtt-port', String(setup.ports.mqtt), '--mqtts-port', 'off'],
    ...['--http-port', String(setup.ports.http), '--https-port', 'off'],
    ...['--log-format', 'json', '--log-level', 'info'],
    ...(command === 'start' ? ['--secret-key-file', shared.secretKeyFile] : ['--allow-anonymous']),
    // decision 0027: only HAProxy reaches the listeners, and only from loopback.
    ...(haproxy ? ['--proxy-protocol-listeners', 'mqtt,http', '--proxy-protocol-from', '127.0.0.1'] : []),
    ...(clusterFlags ? ['--node-id', setup.name] : []),
    ...(clusterFlags && shared.redis !== undefined ? ['--redis-url', shared.redis.url] : []),
    ...extra,
  ];
}

export interface SharedParts {
  readonly dir: string;
  readonly databaseUrl: string;
  readonly redis: TestRedis | undefined;
  readonly secretKeyFile: string;
}

async function sharedParts(t: TestContext, options: ClusterOptions, nodes: () => readonly ClusterNode[]) {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-cluster-'));
  t.after(async () => {
    await Promise.all(nodes().map((node) => node.kill9()));
    reportErrors(t, nodes());
    await rm(dir, { recursive: true, force: true });
  });
  // The nodes go first: the database is dropped WITH (FORCE) after them.
  const databaseUrl = await freshDatabase(t, () =>
    Promise.all(nodes().map((n) => n.kill9())).then(() => undefined),
  );
  const redis = options.redis === false ? undefined : await startRedis(t);
  // One token key for the whole cluster: a database refuses a process with another (STORE_KEY_MISMATCH).
  const secretKeyFile = join(dir, 'secret.key');
  await writeFile(secretKeyFile, `${randomBytes(SECRET_KEY_BYTES).toString('base64')}\n`, { mode: 0o600 });
  return { dir, databaseUrl, redis, secretKeyFile };
}

/** Error and fatal log lines of every node, as test diagnostics (the logs go with the directory). */
function reportErrors(t: TestContext, nodes: readonly ClusterNode[]): void {
  for (const node of nodes) {
    const errors = node
      .logs()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    for (const line of errors.slice(0, 20)) t.diagnostic(`${node.name}: ${line}`);
  }
}

/** Each node's name, data directory and own ports (the first `2 × count` of `free`). */
function nodeSetups(shared: SharedParts, count: number, free: readonly number[], options: ClusterOptions) {
  return Array.from({ length: count }, (_, index) => ({
    index,
    name: `node-${index + 1}`,
    command: options.command ?? 'start',
    dataDir: join(shared.dir, `node-${index + 1}`),
    ports: { mqtt: free[2 * index]!, http: free[2 * index + 1]! },
  }));
}

/** Starts the cluster: node 1 first (it migrates the database and makes the root org), then the rest together. */
export async function startCluster(t: TestContext, options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.nodes ?? 3;
  const nodes: ClusterNode[] = [];
  const shared = await sharedParts(t, options, () => nodes);
  const haproxy = options.haproxy !== false;
  // Every port at once, so the nodes' and HAProxy's never collide.
  const free = await freePorts(2 * count + (haproxy ? balancerPortCount(count) : 0));
  const setups = nodeSetups(shared, count, free, options);
  let balancer: ClusterBalancer | undefined;
  if (haproxy) {
    const binary = haproxyBinary();
    if (binary === undefined) throw new Error('haproxy not installed (apt-get install haproxy)');
    const balanced = setups.map((s) => ({ name: s.name, mqttPort: s.ports.mqtt, httpPort: s.ports.http }));
    balancer = await startBalancer(t, binary, shared.dir, balanced, free.slice(2 * count));
  }
  const relays = await startRelays(t, shared, count, options);
  for (const setup of setups) {
    const relay = relays[setup.index]!;
    const databaseUrl = relay.database ? viaRelay(shared.databaseUrl, relay.database) : shared.databaseUrl;
    const env = { DEVGATE_DATABASE_URL: databaseUrl, ...options.env };
    const redis =
      relay.redis && shared.redis
        ? { ...shared.redis, url: viaRelay(shared.redis.url, relay.redis) }
        : shared.redis;
    const args = clusterNodeArgs(setup, { ...shared, redis }, options);
    const full: NodeSetup = { ...setup, args, env };
    const front = balancer?.ports.nodes[setup.index];
    const node = new ClusterNode(t, full, front?.mqtt ?? setup.ports.mqtt, front?.http ?? setup.ports.http);
    const b = balancer;
    if (b !== undefined) node.balancerUp = () => b.untilUp(setup.name);
    nodes.push(node);
  }
  const launch = async (node: ClusterNode) => {
    await node.start();
    await node.ready();
  };
  await launch(nodes[0]!);
  await Promise.all(nodes.slice(1).map(launch));
  return clusterView(nodes, shared, balancer, options, relays);
}

/** The relays of ClusterOptions.relayed, by node index. */
async function startRelays(
  t: TestContext,
  shared: SharedParts,
  count: number,
  options: ClusterOptions,
): Promise<NodeRelays[]> {
  const target = (url: string) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) });
  return Promise.all(
    Array.from({ length: count }, async (_, index): Promise<NodeRelays> => {
      const database = options.relayed?.database?.includes(index)
        ? await startTcpProxy(t, target(shared.databaseUrl))
        : undefined;
      const redis =
        options.relayed?.redis?.includes(index) && shared.redis !== undefined
          ? await startTcpProxy(t, target(shared.redis.url))
          : undefined;
      return { ...(database && { database }), ...(redis && { redis }) };
    }),
  );
}

/** `url` with its host and port replaced by the relay's. */
function viaRelay(url: string, relay: TcpProxy): string {
  const relayed = new URL(url);
  relayed.hostname = '127.0.0.1';
  relayed.port = String(relay.port);
  return relayed.toString();
}

function clusterView(
  nodes: readonly ClusterNode[],
  shared: SharedParts,
  balancer: ClusterBalancer | undefined,
  options: ClusterOptions,
  relays: readonly NodeRelays[],
): Cluster {
  const mqttPort = balancer?.ports.mqtt ?? nodes[0]!.mqttPort;
  const httpPort = balancer?.ports.http ?? nodes[0]!.httpPort;
  let admin: Promise<AdminCredentials> | undefined;
  let api: Promise<ClusterApi> | undefined;
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const cluster: Cluster = {
    nodes,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    httpUrl,
    mqttPort,
    httpPort,
    databaseUrl: shared.databaseUrl,
    redis: shared.redis,
    balancer,
    secretKeyFile: shared.secretKeyFile,
    relays,
    admin() {
      if (options.command === 'broker') throw new Error('devgate broker has no admin client');
      admin ??= readAdminCredentials(nodes[0]!.setup.dataDir).then((found) => {
        if (found === undefined) throw new Error(`no admin-credentials.json in ${nodes[0]!.setup.dataDir}`);
        return found;
      });
      return admin;
    },
    async api(node) {
      api ??= cluster.admin().then((credentials) => ClusterApi.login(httpUrl, credentials));
      return (await api).at(node?.httpUrl ?? httpUrl);
    },
  };
  return cluster;
}

export { ClusterNode };
