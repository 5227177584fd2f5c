import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * A real HAProxy (Debian package `haproxy`) for the tests that put devgate behind a TCP load
 * balancer. Skipped without the binary, unless DEVGATE_REQUIRE_HAPROXY=1 (CI), where that fails.
 */

const HAPROXY_CANDIDATES = ['/usr/sbin/haproxy', 'haproxy'];

/** How long HAProxy gets to open its frontends. */
const LISTEN_MS = 10_000;

/** The HAProxy binary that answers `-v`, or undefined. */
export function haproxyBinary(): string | undefined {
  for (const candidate of HAPROXY_CANDIDATES) {
    const probe = spawnSync(candidate, ['-v'], { stdio: 'ignore' });
    if (probe.error === undefined && probe.status === 0) return candidate;
  }
  return undefined;
}

/**
 * The binary, or undefined after skipping `t` (failing it when DEVGATE_REQUIRE_HAPROXY=1) when
 * HAProxy is not installed.
 */
export function haproxyOrSkip(t: TestContext): string | undefined {
  const binary = haproxyBinary();
  if (binary !== undefined) return binary;
  const reason = 'haproxy not installed (apt-get install haproxy)';
  if (process.env.DEVGATE_REQUIRE_HAPROXY === '1') assert.fail(`DEVGATE_REQUIRE_HAPROXY=1 but ${reason}`);
  t.skip(reason);
  return undefined;
}

/** `haproxy -c -f <path>`: the exit status and what it printed. */
export function checkHaproxyConfig(binary: string, path: string): { status: number | null; output: string } {
  const result = spawnSync(binary, ['-c', '-f', path], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A running HAProxy owned by one test. */
export interface RunningHaproxy {
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = tcpConnect({ host: '127.0.0.1', port });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Writes `config` to `<dir>/haproxy.cfg` and starts HAProxy in the foreground (`-db`); resolves once
 * every port in `ports` accepts (HAProxy says nothing when it is listening, so the ports are probed).
 * Killed after the test.
 */
export async function startHaproxy(
  t: TestContext,
  binary: string,
  dir: string,
  config: string,
  ports: readonly number[],
): Promise<RunningHaproxy> {
  const path = join(dir, 'haproxy.cfg');
  await writeFile(path, config);
  const child = spawn(binary, ['-db', '-f', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const deadline = Date.now() + LISTEN_MS;
  for (const port of ports) {
    while (!(await accepts(port))) {
      if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${output}`);
      if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${port}: ${output}`);
      await delay(50); // polling: HAProxy signals nothing when its listeners are open
    }
  }
  return { child, output: () => output };
}

/** One command on HAProxy's runtime API (`stats socket <path> level admin`): its whole answer. */
export function haproxyCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ path: socketPath });
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.once('error', reject);
    socket.once('close', () => resolve(answer));
    socket.end(`${command}\n`);
  });
}

/** `show stat`: each server's status (`UP`, `DOWN`, `MAINT`, …) by `backend/server`. */
export async function serverStatuses(socketPath: string): Promise<Map<string, string>> {
  const lines = (await haproxyCommand(socketPath, 'show stat')).split('\n');
  const header = (lines[0] ?? '').replace(/^# /, '').split(',');
  const [proxy, server, status] = ['pxname', 'svname', 'status'].map((name) => header.indexOf(name));
  const statuses = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const fields = line.split(',');
    const name = fields[server!];
    if (name === undefined || name === 'FRONTEND' || name === 'BACKEND' || name === '') continue;
    statuses.set(`${fields[proxy!]}/${name}`, (fields[status!] ?? '').split(' ')[0]!);
  }
  return statuses;
}
