import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BrokerHandle,
  brokerHandle,
  PROBE_MODULE,
  readJson,
  spawnBroker,
  waitFor,
} from './broker-process.js';

/** The built CLI, next to the built bench: dist/bench/brokers → dist/src/cli/main.js. */
export const DEVGATE_CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface DevgateOptions {
  /** `broker` (plain, anonymous) or `start` (platform: device tokens) on a prepared data dir. */
  readonly command: 'broker' | 'start';
  /** Reused as is when given (`start` needs one prepared with devices); else a fresh temp dir. */
  readonly dataDir?: string;
  /** Write a V8 CPU profile (`--cpu-prof`) into this directory when the broker stops. */
  readonly cpuProfDir?: string;
  readonly extraArgs?: readonly string[];
  readonly label?: string;
  /** Another build's CLI (before/after comparisons); default: this build's. */
  readonly cli?: string;
}

/** Starts devgate from the built CLI on a free loopback port; the port comes from listeners.json. */
export async function startDevgate(options: DevgateOptions): Promise<BrokerHandle> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'devgate-bench-'));
  const probeFile = join(dataDir, 'bench-probe.json');
  const nodeArgs = ['--import', PROBE_MODULE];
  // --cpu-prof DIR on the bench command line reaches every devgate start through the environment.
  const cpuProfDir = options.cpuProfDir ?? process.env.BENCH_CPU_PROF;
  if (cpuProfDir !== undefined) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', cpuProfDir);
  const args = [
    ...nodeArgs,
    options.cli ?? DEVGATE_CLI,
    options.command,
    ...(options.command === 'broker' ? ['--allow-anonymous'] : []),
    '--host',
    '127.0.0.1',
    '--mqtt-port',
    '0',
    '--http-port',
    options.command === 'start' ? '0' : 'off',
    '--https-port',
    'off',
    '--mqtts-port',
    'off',
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
    ...(options.extraArgs ?? []),
  ];
  const child = spawnBroker(process.execPath, args, { BENCH_PROBE_FILE: probeFile });
  const listeners = await waitFor(
    child,
    () => readJson<{ mqtt?: number; http?: number }>(join(dataDir, 'listeners.json')),
    60_000,
  );
  if (listeners.mqtt === undefined) throw new Error('devgate started without an MQTT listener');
  const handle = brokerHandle({
    name: 'devgate',
    label: options.label ?? (options.command === 'start' ? 'devgate start' : 'devgate'),
    child,
    port: listeners.mqtt,
    probeFile,
    cleanup: () => {
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  });
  return Object.assign(handle, { httpPort: listeners.http, dataDir });
}
