import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BrokerHandle,
  brokerHandle,
  outputTail,
  PROBE_MODULE,
  spawnBroker,
  waitFor,
} from './broker-process.js';

const SERVER = fileURLToPath(new URL('./aedes-server.js', import.meta.url));

export function aedesVersion(): string | undefined {
  try {
    // aedes' exports map hides package.json: find it beside the resolved entry point.
    const entry = createRequire(import.meta.url).resolve('aedes');
    return (JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return undefined;
  }
}

export async function startAedes(): Promise<BrokerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'aedes-bench-'));
  const probeFile = join(dir, 'probe.json');
  const child = spawnBroker(process.execPath, ['--import', PROBE_MODULE, SERVER], {
    BENCH_PROBE_FILE: probeFile,
  });
  const port = await waitFor(
    child,
    () => {
      const match = /\{"port":(\d+)\}/.exec(outputTail(child));
      return match === null ? undefined : Number(match[1]);
    },
    15_000,
  );
  return brokerHandle({
    name: 'aedes',
    label: 'aedes',
    child,
    port,
    probeFile,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
}
