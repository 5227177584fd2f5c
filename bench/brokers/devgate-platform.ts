import { spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEVGATE_CLI, startDevgate } from './devgate.js';

/** Arguments naming the platform's database for `devgate start` and `apply` (empty: SQLite). */
export interface PrepareBackend {
  readonly cliArgs: readonly string[];
  readonly cacheKey: string;
}

const SQLITE: PrepareBackend = { cliArgs: [], cacheKey: 'sqlite' };

/**
 * Runs the CLI with stdout to a file: `devgate apply --json` output of a few hundred KB came back
 * truncated through a pipe (the CLI exits right after writing).
 */
function runCli(args: readonly string[], outFile: string): Promise<string> {
  const fd = openSync(outFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEVGATE_CLI, ...args], { stdio: ['ignore', fd, 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => {
      closeSync(fd);
      if (code === 0) resolve(readFileSync(outFile, 'utf8'));
      else reject(new Error(`devgate ${args[0]} exited with ${code}`));
    });
  });
}

/** A `devgate start` data directory with a template and devices, ready to copy. */
export interface PreparedPlatform {
  readonly dataDir: string;
  readonly tokens: readonly string[];
  readonly deviceIds: readonly number[];
  /** The gateway device (template with gatewayEnabled), last of the devices. */
  readonly gateway: { readonly id: number; readonly token: string };
  /** Delete the copy. */
  cleanup(): void;
}

interface Manifest {
  tokens: string[];
  deviceIds: number[];
  gateway: { id: number; token: string };
}

const CACHE = join(tmpdir(), 'devgate-bench-cache');
const CHUNK = 2500;
export const BENCH_TEMPLATE = 'Bench';
export const BENCH_DATASTREAM = 'Temperature';
/** A String datastream the downlink scenario writes send-time stamps (µs) into. */
export const STAMP_DATASTREAM = 'Stamp';

/**
 * Devices `from`..`to` of a set of `count` (plus the gateway): named by set, so the sets of
 * several sizes made in one PostgreSQL database stay apart.
 */
function specFile(dir: string, count: number, from: number, to: number, withTemplate: boolean): string {
  const devices = [];
  for (let i = from; i < to; i++) devices.push({ name: `bench-${count}-${i}`, template: BENCH_TEMPLATE });
  const templates = withTemplate
    ? [
        {
          name: BENCH_TEMPLATE,
          gatewayEnabled: true,
          datastreams: [
            { name: BENCH_DATASTREAM, pin: 0, type: 'Double', min: -1e12, max: 1e12 },
            { name: STAMP_DATASTREAM, pin: 1, type: 'String' },
          ],
        },
      ]
    : [];
  const file = join(dir, `spec-${from}.json`);
  writeFileSync(file, JSON.stringify({ templates, devices }));
  return file;
}

/** Creates `count` devices (plus one gateway) through `devgate start` + `devgate apply`. */
async function create(
  count: number,
  dir: string,
  progress: (text: string) => void,
  backend: PrepareBackend,
): Promise<Manifest> {
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const server = await startDevgate({
    command: 'start',
    dataDir,
    label: 'devgate start (prepare)',
    extraArgs: backend.cliArgs,
  });
  const tokens: string[] = [];
  const deviceIds: number[] = [];
  try {
    for (let from = 0; from <= count; from += CHUNK) {
      progress(
        `preparing devgate devices: ${from.toLocaleString('en-US')} / ${count.toLocaleString('en-US')}`,
      );
      const file = specFile(dir, count, from, Math.min(count + 1, from + CHUNK), from === 0);
      const stdout = await runCli(
        // apply talks to the running server (listeners.json and the admin credentials of dataDir).
        ['apply', file, '--data-dir', dataDir, '--json'],
        `${file}.out`,
      );
      const changes = (JSON.parse(stdout) as { changes: { kind: string; id: number; token?: string }[] })
        .changes;
      for (const c of changes) {
        if (c.kind !== 'device' || c.token === undefined) continue;
        tokens.push(c.token);
        deviceIds.push(c.id);
      }
    }
  } finally {
    await server.stop();
  }
  if (tokens.length !== count + 1) throw new Error(`prepared ${tokens.length} devices, wanted ${count + 1}`);
  const gateway = { id: deviceIds.pop()!, token: tokens.pop()! };
  return { tokens, deviceIds, gateway };
}

function cacheDir(count: number, backend: PrepareBackend): string {
  const suffix = backend.cacheKey === SQLITE.cacheKey ? '' : `-${backend.cacheKey}`;
  return join(CACHE, `devices-${count}-v3${suffix}`);
}

/**
 * Removes the cached devices of a database dropped after use (scenario 6 makes a fresh one per
 * cluster), and its token key file beside them (see platform-backend.ts).
 */
export function forgetPreparedPlatform(count: number, backend: PrepareBackend): void {
  rmSync(cacheDir(count, backend), { recursive: true, force: true });
  rmSync(join(CACHE, `${backend.cacheKey}.key`), { force: true });
}

/**
 * A data directory with `count` devices (and a gateway), made once and cached under the OS temp
 * dir (device creation takes ~3 ms each); every call returns a fresh copy of it. On PostgreSQL the
 * devices live in the database, made once per database (the cache is keyed by it).
 */
export async function preparePlatform(
  count: number,
  progress: (text: string) => void,
  backend: PrepareBackend = SQLITE,
): Promise<PreparedPlatform> {
  const cached = cacheDir(count, backend);
  const manifestFile = join(cached, 'manifest.json');
  if (!existsSync(manifestFile)) {
    rmSync(cached, { recursive: true, force: true });
    mkdirSync(cached, { recursive: true });
    const manifest = await create(count, cached, progress, backend);
    writeFileSync(manifestFile, JSON.stringify(manifest));
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  const copy = mkdtempSync(join(tmpdir(), 'devgate-bench-platform-'));
  cpSync(join(cached, 'data'), copy, { recursive: true });
  rmSync(join(copy, 'listeners.json'), { force: true });
  return { dataDir: copy, ...manifest, cleanup: () => rmSync(copy, { recursive: true, force: true }) };
}
