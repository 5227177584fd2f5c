import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type RunningPlatform, startPlatform } from '../../src/cli/start-command.js';
import { preflight } from '../../src/cli/startup-checks.js';
import { loadStartConfig } from '../../src/config/start-config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { localPortArgs } from './spawn-cli.js';
import { backendArgs } from './test-backend.js';

/** A temporary data directory, removed after the test. */
export async function tempDataDir(t: TestContext, prefix = 'devgate-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** `devgate start` in-process on `dataDir` (MQTT + HTTP on free ports, no TLS); closed after the test. */
export async function startPlatformServer(
  t: TestContext,
  dataDir: string,
  extraArgs: readonly string[] = [],
): Promise<RunningPlatform & { readonly httpUrl: string }> {
  let closeFirst: (() => Promise<boolean>) | undefined;
  const backend = extraArgs.includes('--database-url')
    ? []
    : await backendArgs(t, async () => closeFirst?.());
  const config = loadStartConfig({
    argv: ['--data-dir', dataDir, ...localPortArgs('0'), ...backend, ...extraArgs],
    env: {},
    cwd: dataDir,
  });
  // The same checks and data-directory lock as the CLI, so --offline commands see a running server.
  const lock = await preflight(config.server, 'start');
  let running: RunningPlatform;
  try {
    running = await startPlatform(config, silentLogger());
  } catch (err) {
    lock.release();
    throw err;
  }
  const close = (): Promise<boolean> => running.close().finally(() => lock.release());
  closeFirst = close;
  t.after(close);
  return { ...running, close, httpUrl: `http://127.0.0.1:${running.server.addresses.http}` };
}
