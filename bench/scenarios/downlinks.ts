import { byWorker, Fleet } from '../lib/fleet.js';
import { Histogram, type HistogramSummary } from '../lib/histogram.js';
import { runWriter, type WriteResult } from '../lib/http-writer.js';
import { receiverStats, resetReceivers, settle } from '../lib/phases.js';
import { cpuPercent } from '../lib/proc-stats.js';
import type { Progress } from '../lib/progress.js';
import type { WorkerPool } from '../lib/worker-pool.js';
import type { PlatformBackend } from './platform-backend.js';
import {
  adminToken,
  connectDevices,
  type RunningPlatform,
  stampDatastreamId,
  startPlatform,
} from './platform-target.js';

/**
 * Scenario 3: the Platform API writes a String datastream at a fixed rate; the value is the write's
 * send time in µs, so the device (or gateway) that receives `downlink/ds/Stamp` measures HTTP write
 * → MQTT delivery latency.
 */
export interface DownlinkCase {
  readonly id: string;
  readonly name: string;
  /** Device connections subscribed to `downlink/ds/#`, or 0 for the gateway case. */
  readonly devices: number;
  /** Gateway case: devices one gateway subscribes to (`dev/{token}/downlink/ds/#`). */
  readonly gatewayDevices: number;
  readonly writesPerSec: number;
}

export interface DownlinkResult {
  readonly scenario: 'downlinks';
  readonly case: string;
  readonly name: string;
  readonly writesPerSec?: number;
  readonly sent?: number;
  readonly httpErrors?: number;
  /** Writer connections opened mid-run (all prepared ones were busy). */
  readonly extraConnections?: number;
  readonly received?: number;
  readonly httpLatency?: HistogramSummary;
  readonly latency?: HistogramSummary;
  readonly brokerCpu?: number;
  readonly error?: string;
}

export function downlinkCases(): DownlinkCase[] {
  return [
    {
      id: 'devices',
      name: '1000 devices, 1000 writes/s',
      devices: 1000,
      gatewayDevices: 0,
      writesPerSec: 1000,
    },
    {
      id: 'gateway',
      name: '1 gateway × 10,000 devices, 1000 writes/s',
      devices: 0,
      gatewayDevices: 10_000,
      writesPerSec: 1000,
    },
  ];
}

const FILTERS_PER_SUBSCRIBE = 500;

async function connectSubscribers(
  fleet: Fleet,
  platform: RunningPlatform,
  c: DownlinkCase,
): Promise<number[]> {
  const { tokens, gateway, deviceIds } = platform.prepared;
  const pool = fleet.pool;
  if (c.devices > 0) {
    const refs = await connectDevices(fleet, platform, c.devices);
    const groups = byWorker(refs, pool.size);
    await pool.each((w) =>
      groups[w]!.length === 0
        ? undefined
        : {
            op: 'subscribe',
            qos: 1,
            subs: groups[w]!.map((client) => ({ client, filters: ['downlink/ds/#'] })),
          },
    );
    return deviceIds.slice(0, c.devices) as number[];
  }
  const { refs, summary } = await fleet.connect([0], () => ({
    clientId: 'gateway',
    username: 'mgmt_device',
    password: gateway.token,
  }));
  if (summary.ok !== 1) throw new Error(`gateway failed to connect: ${summary.errors.join('; ')}`);
  const filters = tokens.slice(0, c.gatewayDevices).map((t) => `dev/${t}/downlink/ds/#`);
  const subs = [];
  for (let i = 0; i < filters.length; i += FILTERS_PER_SUBSCRIBE)
    subs.push({ client: refs[0]!.client, filters: filters.slice(i, i + FILTERS_PER_SUBSCRIBE) });
  const result = await pool.call<{ refused: number }>(0, { op: 'subscribe', qos: 1, subs });
  if (result.refused > 0) throw new Error(`gateway: ${result.refused} subscriptions refused`);
  return deviceIds.slice(0, c.gatewayDevices) as number[];
}

/** Keep-alive connections the writer opens before it starts (a burst beyond them opens more). */
const WRITER_CONNECTIONS = 32;

/** Open-loop HTTP writes at `rate`/s for `durationMs`, round-robin over `deviceIds`. */
function writeAtRate(
  platform: RunningPlatform,
  token: string,
  streamId: number,
  deviceIds: readonly number[],
  rate: number,
  durationMs: number,
): Promise<WriteResult> {
  const url = new URL(platform.httpBase);
  return runWriter({
    host: url.hostname,
    port: Number(url.port),
    path: '/api/v1/organization/device/datastream',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    // The value is the send time: the receiving device measures write → delivery.
    bodies: deviceIds.map((deviceId) =>
      JSON.stringify({ deviceId, dataStreamId: streamId, value: '$STAMP' }),
    ),
    rate,
    durationMs,
    connections: WRITER_CONNECTIONS,
  });
}

/** `baseline`: run another devgate build (`--baseline-cli`); its rows are marked in the name. */
export async function runDownlinkCase(
  pool: WorkerPool,
  c: DownlinkCase,
  durationMs: number,
  progress: Progress,
  baseline?: string,
  backend?: PlatformBackend,
): Promise<DownlinkResult> {
  const name = baseline === undefined ? c.name : `${c.name} (devgate-baseline)`;
  const base = { scenario: 'downlinks' as const, case: c.id, name };
  const cli = baseline === undefined ? undefined : { path: baseline, label: 'devgate-baseline' };
  let platform: RunningPlatform | undefined;
  try {
    platform = await startPlatform(
      Math.max(c.devices, c.gatewayDevices),
      (t) => progress.step(`[3] ${t}`),
      cli,
      backend,
    );
    const fleet = new Fleet(pool, platform.broker);
    progress.step(`[3] ${name}: connecting and subscribing`);
    const deviceIds = await connectSubscribers(fleet, platform, c);
    const token = await adminToken(platform);
    const streamId = await stampDatastreamId(platform, token, deviceIds[0]!);
    await resetReceivers(fleet, 'text-micros', true);
    progress.step(`[3] ${name}: writing`);
    const before = platform.broker.sample();
    const writer = await writeAtRate(platform, token, streamId, deviceIds, c.writesPerSec, durationMs);
    const after = platform.broker.sample();
    await settle(fleet, 500);
    const stats = await receiverStats(fleet, true);
    await fleet.closeAll();
    return {
      ...base,
      writesPerSec: (writer.sent / durationMs) * 1000,
      sent: writer.sent,
      httpErrors: writer.errors,
      extraConnections: writer.extraConnections,
      received: stats.received,
      httpLatency: Histogram.from(writer.latency).summary(),
      latency: stats.hist.summary(),
      brokerCpu: cpuPercent(before, after),
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  } finally {
    await platform?.stop();
    platform?.prepared.cleanup();
  }
}
