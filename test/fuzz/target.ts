/** The servers under test: the built CLI in child processes, so a crash shows as the child exiting. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN, localPortArgs } from '../helpers/spawn-cli.js';
import { within } from '../helpers/wait.js';

const START_MS = 30_000;
/** Output kept per child: enough for a stack trace and the log lines around it. */
const OUTPUT_TAIL = 256 * 1024;
/**
 * Retained messages, subscriptions and messages queued for kept sessions are legitimate state that
 * mutated topics and `#` subscriptions pile up to the (large) default limits; smaller caps keep RSS
 * growth a signal of leaks rather than of stored data, and reach the limit paths sooner.
 */
const LIMITS = [
  '--max-retained-messages',
  '1000',
  '--max-queued-messages',
  '100',
  '--max-subscriptions-per-session',
  '100',
  // Mutated CONNECTs are mostly failed logins: at the default burst (5) the fuzzer's address would
  // be throttled within a second and every later CONNECT refused before its credentials are read,
  // leaving the logged-in paths unfuzzed. A large burst keeps the throttle in the path, rarely closed.
  '--auth-failure-burst',
  '1000000',
];

export type ServerKind = 'platform' | 'broker';

/** One `devgate` child process with its bound ports. */
export interface ServerProcess {
  readonly kind: ServerKind;
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly mqttPort: number;
  readonly httpPort: number;
  /** Resolves with a description once the child exits (it never should during a run). */
  readonly exited: Promise<string>;
  readonly output: { text: string };
  hasExited(): boolean;
}

/** Platform data the fuzzer logs in with. */
export interface PlatformLogins {
  readonly fuzzTokens: readonly string[];
  /** A device the fuzzer never touches, for the closing round trip. */
  readonly healthToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface FuzzTargets {
  readonly platform: ServerProcess;
  readonly broker: ServerProcess;
  readonly logins: PlatformLogins;
  stop(): Promise<void>;
}

function keepTail(output: { text: string }, chunk: Buffer): void {
  output.text += chunk.toString();
  if (output.text.length > OUTPUT_TAIL * 2) output.text = output.text.slice(-OUTPUT_TAIL);
}

async function spawnServer(kind: ServerKind, args: readonly string[]): Promise<ServerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), `devgate-fuzz-${kind}-`));
  const command = kind === 'platform' ? ['start', '--demo'] : ['broker', '--allow-anonymous'];
  const child = spawn(
    process.execPath,
    [
      CLI_MAIN,
      ...command,
      '--data-dir',
      dataDir,
      '--log-level',
      'error',
      ...localPortArgs('0'),
      ...LIMITS,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = { text: '' };
  child.stdout!.on('data', (chunk: Buffer) => keepTail(output, chunk));
  child.stderr!.on('data', (chunk: Buffer) => keepTail(output, chunk));
  let gone = false;
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      gone = true;
      resolve(`devgate ${kind} (pid ${child.pid}) exited with code ${code} signal ${signal}`);
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (output.text.includes('Press Ctrl+C to stop.')) resolve();
    };
    // JSON log format (stdout is a pipe): the operator text goes to stderr.
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then((why) => reject(new Error(`${why} during start-up:\n${output.text}`)));
  });
  try {
    await within(ready, START_MS, `devgate ${kind} to start`);
  } catch (err) {
    // A server that never became ready must not outlive the run.
    if (!gone) child.kill('SIGKILL');
    throw err;
  }
  const ports = JSON.parse(await readFile(join(dataDir, 'listeners.json'), 'utf8')) as {
    mqtt: number;
    http: number;
  };
  return {
    kind,
    child,
    dataDir,
    mqttPort: ports.mqtt,
    httpPort: ports.http,
    exited,
    output,
    hasExited: () => gone,
  };
}

async function stopServer(server: ServerProcess): Promise<void> {
  if (!server.hasExited()) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
  await rm(server.dataDir, { recursive: true, force: true, maxRetries: 3 });
}

interface Credentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

async function accessToken(httpPort: number, credentials: Credentials): Promise<string> {
  const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64');
  const response = await fetch(`http://127.0.0.1:${httpPort}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (response.status !== 200) throw new Error(`OAuth token: HTTP ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Creates a device of the demo template (gateway-enabled) through the platform API; returns its token. */
async function createDevice(httpPort: number, bearer: string, templateId: string, name: string) {
  const response = await fetch(`http://127.0.0.1:${httpPort}/api/v1/organization/device/create`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ templateId, name }),
  });
  if (response.status !== 201) throw new Error(`device create: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** Demo devices plus a few more, so concurrent device logins do not all take each other over. */
async function platformLogins(platform: ServerProcess): Promise<PlatformLogins> {
  const read = async <T>(name: string): Promise<T> =>
    JSON.parse(await readFile(join(platform.dataDir, name), 'utf8')) as T;
  const demo = await read<{ templateId: string; devices: Array<{ token: string }> }>('demo.json');
  const credentials = await read<Credentials>('admin-credentials.json');
  const bearer = await accessToken(platform.httpPort, credentials);
  const tokens = demo.devices.map((d) => d.token);
  for (let i = 0; i < 5; i += 1)
    tokens.push(await createDevice(platform.httpPort, bearer, demo.templateId, `Fuzz Device ${i + 1}`));
  const healthToken = await createDevice(platform.httpPort, bearer, demo.templateId, 'Fuzz Health Device');
  return { fuzzTokens: tokens, healthToken, ...credentials };
}

/** Starts the platform (`devgate start --demo`) and the plain broker, MQTT over TCP and WebSocket. */
export async function startTargets(): Promise<FuzzTargets> {
  const platform = await spawnServer('platform', []);
  let broker: ServerProcess | undefined;
  try {
    broker = await spawnServer('broker', []);
    const logins = await platformLogins(platform);
    const running = broker;
    return {
      platform,
      broker,
      logins,
      stop: () => Promise.all([stopServer(platform), stopServer(running)]).then(() => undefined),
    };
  } catch (err) {
    await stopServer(platform);
    if (broker !== undefined) await stopServer(broker);
    throw err;
  }
}

/** Resident set size of a process in KiB (Linux /proc), undefined once it is gone. */
export async function rssKiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Error- and fatal-level pino lines the child logged (level >= 50). */
export function errorLogLines(server: ServerProcess): string[] {
  return server.output.text.split('\n').filter((line) => /"level":(5\d|60)/.test(line));
}
