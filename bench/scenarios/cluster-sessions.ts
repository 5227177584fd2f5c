import { connect as netConnect, type Socket } from 'node:net';
import { PacketDecoder } from '../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../src/mqtt/codec/encoder.js';
import type { Packet } from '../../src/mqtt/codec/packet.js';
import type { BrokerHandle } from '../brokers/broker-process.js';
import { type DevgateCluster, type PartsCpu, partsCpu } from '../brokers/devgate-cluster.js';
import { nowMicros } from '../lib/clock.js';
import { sourceAddress } from '../lib/fleet.js';
import { Histogram, type HistogramSummary } from '../lib/histogram.js';
import { cpuPercent, sampleProcess } from '../lib/proc-stats.js';
import type { Progress } from '../lib/progress.js';
import type { WorkerPool } from '../lib/worker-pool.js';
import type { ConnectResult } from '../lib/worker-protocol.js';

/** Scenario 6, sessions: CONNECT rate over the nodes, and takeover of a client id across nodes. */
export interface ClusterConnectResult {
  readonly kind: 'connect';
  readonly nodes: number;
  readonly clients: number;
  readonly connected?: number;
  readonly failed?: number;
  /** CONNACKs per second, wall clock, first CONNECT to last CONNACK. */
  readonly perSec?: number;
  readonly connectLatency?: HistogramSummary;
  readonly cpu?: PartsCpu;
  readonly generatorCpu?: number;
  /** CONNACKs per CPU-second of the nodes' processes (summed). */
  readonly perNodeCpuSecond?: number;
  readonly error?: string;
}

export interface ClusterTakeoverResult {
  readonly kind: 'takeover';
  readonly attempts: number;
  readonly completed: number;
  /** CONNECT written on node 2 → its CONNACK. */
  readonly connack?: HistogramSummary;
  /** CONNECT written on node 2 → DISCONNECT 0x8E at the client on node 1. */
  readonly kicked?: HistogramSummary;
  /** The first client's connection closed without a DISCONNECT 0x8E. */
  readonly closedWithout0x8E: number;
  readonly error?: string;
}

/** Clients per generator command at once (as scenario 4: well within the listen backlog). */
const CONCURRENCY = 200;

/**
 * `clients` clean sessions connected round-robin over the cluster's nodes, all at once (one
 * command per node, concurrently), then closed. CPU of every part over the storm.
 */
export async function runClusterConnect(
  pool: WorkerPool,
  cluster: DevgateCluster,
  clients: number,
  progress: Progress,
): Promise<ClusterConnectResult> {
  const nodes = cluster.nodes;
  const base = { kind: 'connect' as const, nodes: nodes.length, clients };
  progress.step(`[6] ${nodes.length} node(s): ${clients} CONNECTs`);
  try {
    await cluster.refreshPostgresPids();
    const before = cluster.sampleParts();
    const genBefore = pool.pids.map(sampleProcess);
    const started = performance.now();
    const perNode = nodes.map((_, n) =>
      Array.from({ length: clients }, (_, i) => i).filter((i) => i % nodes.length === n),
    );
    const results = await Promise.all(
      nodes.flatMap((node, n) =>
        Array.from({ length: pool.size }, (_, w) => {
          const mine = perNode[n]!.filter((i) => i % pool.size === w);
          return mine.length === 0 ? undefined : connectOn(pool, w, node, mine, nodes.length);
        }).filter((p) => p !== undefined),
      ),
    );
    const wallMs = performance.now() - started;
    const after = cluster.sampleParts();
    const generatorCpu = pool.pids
      .map((pid, i) => cpuPercent(genBefore[i], sampleProcess(pid)))
      .reduce((a, b) => a + b, 0);
    const hist = new Histogram();
    let ok = 0;
    let failed = 0;
    const errors: string[] = [];
    for (const r of results) {
      ok += r.ok;
      failed += r.failed + r.refused;
      errors.push(...r.errors);
      hist.merge(r.hist);
    }
    const cpu = partsCpu(before, after);
    const nodeCpuSeconds = (cpu.nodesTotal / 100) * (wallMs / 1000);
    return {
      ...base,
      connected: ok,
      failed,
      perSec: ok / (wallMs / 1000),
      connectLatency: hist.summary(),
      cpu,
      generatorCpu,
      ...(nodeCpuSeconds > 0 ? { perNodeCpuSecond: ok / nodeCpuSeconds } : {}),
      ...(failed > 0 ? { error: errors.slice(0, 3).join('; ') } : {}),
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  } finally {
    await pool.each(() => ({ op: 'close' })).catch(() => undefined);
  }
}

function connectOn(
  pool: WorkerPool,
  worker: number,
  node: BrokerHandle,
  indices: readonly number[],
  nodeCount: number,
): Promise<ConnectResult> {
  return pool.call<ConnectResult>(worker, {
    op: 'connect',
    host: node.host,
    port: node.port,
    clients: indices.map((i) => ({ clientId: `cs-${nodeCount}-${i}`, source: sourceAddress(i) })),
    concurrency: Math.ceil(CONCURRENCY / nodeCount),
    keepalive: 60,
    timeoutMs: 60_000,
  });
}

/** A minimal MQTT 5 client in this process: CONNECT, the packets it receives, DISCONNECT. */
class V5Client {
  readonly socket: Socket;
  private readonly decoder = new PacketDecoder({ maxPacketSize: 1 << 20, protocolVersion: 5 });
  private readonly listeners: Array<(packet: Packet, at: number) => void> = [];
  readonly closed: Promise<number>;

  constructor(node: BrokerHandle, source: string) {
    this.socket = netConnect({ host: node.host, port: node.port, localAddress: source });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      const at = nowMicros();
      for (const packet of this.decoder.push(chunk)) for (const l of this.listeners) l(packet, at);
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve(nowMicros())));
  }

  /** Resolves with the arrival time (µs) of the first packet `match` accepts. */
  next(match: (packet: Packet) => boolean): Promise<number> {
    return new Promise((resolve) => this.listeners.push((packet, at) => match(packet) && resolve(at)));
  }

  /** Writes CONNECT (clean start, no session kept); resolves with when it was written (µs). */
  connect(clientId: string): number {
    const at = nowMicros();
    this.socket.write(
      encodePacket(
        { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId, keepalive: 60 },
        5,
      ),
    );
    return at;
  }

  end(): void {
    this.socket.end(encodePacket({ cmd: 'disconnect', reasonCode: 0 }, 5));
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }
}

const isConnack = (p: Packet): boolean => p.cmd === 'connack';

/** One takeover: the id connected on node 1, then on node 2. Times from the second CONNECT. */
async function takeoverOnce(
  first: BrokerHandle,
  second: BrokerHandle,
  clientId: string,
  source: string,
): Promise<{ connack: number; kicked: number | undefined }> {
  const a = new V5Client(first, source);
  await new Promise((resolve) => a.socket.once('connect', resolve));
  const connacked = a.next(isConnack);
  a.connect(clientId);
  await connacked;
  const kicked = a.next((p) => p.cmd === 'disconnect' && p.reasonCode === 0x8e);
  const closedFirst = a.closed.then(() => undefined);
  const b = new V5Client(second, source);
  await new Promise((resolve) => b.socket.once('connect', resolve));
  const connackB = b.next(isConnack);
  const sent = b.connect(clientId);
  const [connackAt, kickedAt] = await Promise.all([connackB, Promise.race([kicked, closedFirst])]);
  b.end();
  await b.closed;
  a.socket.destroy();
  return { connack: connackAt - sent, kicked: kickedAt === undefined ? undefined : kickedAt - sent };
}

/** `attempts` takeovers one after another, node 1 → node 2, each with its own client id. */
export async function runClusterTakeover(
  cluster: DevgateCluster,
  attempts: number,
  progress: Progress,
): Promise<ClusterTakeoverResult> {
  const [first, second] = cluster.nodes;
  const base = { kind: 'takeover' as const, attempts };
  if (first === undefined || second === undefined) return { ...base, completed: 0, closedWithout0x8E: 0 };
  const connack = new Histogram();
  const kicked = new Histogram();
  let completed = 0;
  let without = 0;
  progress.step(`[6] ${attempts} takeovers node-1 → node-2`);
  try {
    for (let i = 0; i < attempts; i++) {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`takeover ${i} timed out after 10 s`)), 10_000).unref(),
      );
      const r = await Promise.race([takeoverOnce(first, second, `tk-${i}`, sourceAddress(i)), timeout]);
      completed++;
      connack.record(r.connack);
      if (r.kicked === undefined) without++;
      else kicked.record(r.kicked);
    }
    return {
      ...base,
      completed,
      connack: connack.summary(),
      kicked: kicked.summary(),
      closedWithout0x8E: without,
    };
  } catch (err) {
    return {
      ...base,
      completed,
      closedWithout0x8E: without,
      ...(completed > 0 ? { connack: connack.summary(), kicked: kicked.summary() } : {}),
      error: (err as Error).message,
    };
  }
}
