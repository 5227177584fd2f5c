import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerHandle } from '../brokers/broker-process.js';
import { startDevgate } from '../brokers/devgate.js';
import { type PreparedPlatform, preparePlatform, STAMP_DATASTREAM } from '../brokers/devgate-platform.js';
import type { ClientRef, Fleet } from '../lib/fleet.js';
import { type PlatformBackend, sqliteBackend } from './platform-backend.js';

/**
 * Device API limits raised for the platform scenarios: the defaults (50 msg/s per device, 5000/s
 * per gateway) are abuse limits that would cap the load, not the server. Stated in RESULTS.md.
 */
export const BENCH_START_FLAGS = [
  '--device-rate-limit',
  '1000000',
  '--device-rate-burst',
  '1000000',
  '--gateway-rate-limit',
  '10000000',
] as const;

export interface RunningPlatform {
  readonly broker: BrokerHandle;
  readonly backend: PlatformBackend;
  readonly prepared: PreparedPlatform;
  readonly httpBase: string;
  stop(): Promise<void>;
}

/**
 * `devgate start` on a fresh copy of a prepared data directory with `devices` devices; `cli` runs
 * another build (before/after figures, `--baseline-cli`).
 */
export async function startPlatform(
  devices: number,
  progress: (text: string) => void,
  cli?: { readonly path: string; readonly label: string },
  backend: PlatformBackend = sqliteBackend(),
): Promise<RunningPlatform> {
  const prepared = await preparePlatform(devices, progress, backend);
  await backend.clearValues(prepared.dataDir);
  const broker = await startDevgate({
    command: 'start',
    dataDir: prepared.dataDir,
    extraArgs: [...BENCH_START_FLAGS, ...backend.cliArgs],
    ...(cli === undefined ? {} : { cli: cli.path, label: cli.label }),
  });
  const httpPort = (broker as BrokerHandle & { httpPort?: number }).httpPort;
  return {
    broker,
    backend,
    prepared,
    httpBase: `http://127.0.0.1:${httpPort}`,
    stop: async () => {
      await broker.stop();
    },
  };
}

/** A bearer token for the Platform API from the admin OAuth client `devgate start` created. */
export async function adminToken(platform: RunningPlatform): Promise<string> {
  const creds = JSON.parse(
    readFileSync(join(platform.prepared.dataDir, 'admin-credentials.json'), 'utf8'),
  ) as {
    clientId: string;
    clientSecret: string;
  };
  const basic = Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64');
  const res = await fetch(`${platform.httpBase}/oauth2/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}` },
  });
  if (!res.ok) throw new Error(`oauth2/token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The id of the Stamp datastream of device `deviceId` (from its template). */
export async function stampDatastreamId(
  platform: RunningPlatform,
  token: string,
  deviceId: number,
): Promise<number> {
  const headers = { authorization: `Bearer ${token}` };
  const device = (await (
    await fetch(`${platform.httpBase}/api/v1/organization/device?deviceId=${deviceId}`, { headers })
  ).json()) as {
    templateId: string;
  };
  const streams = (await (
    await fetch(
      `${platform.httpBase}/api/v1/organization/template/datastreams?templateId=${device.templateId}`,
      { headers },
    )
  ).json()) as { id: number; name: string }[];
  const stamp = streams.find((s) => s.name === STAMP_DATASTREAM);
  if (stamp === undefined)
    throw new Error(`no ${STAMP_DATASTREAM} datastream: ${JSON.stringify(streams).slice(0, 200)}`);
  return stamp.id;
}

/** Connects the first `count` prepared devices with their tokens (device API login); all must succeed. */
export async function connectDevices(
  fleet: Fleet,
  platform: RunningPlatform,
  count: number,
): Promise<ClientRef[]> {
  const { tokens } = platform.prepared;
  const { refs, summary } = await fleet.connect(fleet.place(count), (i) => ({
    clientId: `dev-${i}`,
    username: 'device',
    password: tokens[i]!,
  }));
  if (summary.ok !== count) {
    throw new Error(`${count - summary.ok} devices failed to connect: ${summary.errors.join('; ')}`);
  }
  return refs;
}
