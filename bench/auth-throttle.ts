/**
 * Failed-login throttling, measured (decision 0009): how many secret or token guesses a second
 * one source address gets checked, and how long a legitimate login from another loopback address
 * takes meanwhile. Starts `devgate start` from a built CLI on a temporary data directory
 * (loopback only, ports picked by the OS), attacks for a bounded time, stops it.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/auth-throttle.js [--cli PATH] [--seconds 5] [--concurrency 8]
 *
 * `--cli` takes another build's `dist/src/cli/main.js` (e.g. the commit before the throttle) for a
 * before/after comparison; the script passes no setting that build may not know.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodePacket } from '../src/mqtt/codec/encoder.js';

interface Target {
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** One attempt's answer class: checked and refused (a guess), throttled, or accepted. */
type Outcome = 'guess' | 'throttled' | 'accepted' | 'other';

const LEGIT = '127.0.0.2';
const LEGIT_EVERY_MS = 200;

async function waitForFile(path: string, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      if (Date.now() > deadline) throw new Error(`${path} did not appear within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function startDevgate(cli: string, dataDir: string): Promise<{ child: ChildProcess; target: Target }> {
  const args = ['start', '--data-dir', dataDir, '--host', '127.0.0.1', '--mqtt-port', '0'];
  args.push('--mqtts-port', 'off', '--http-port', '0', '--https-port', 'off', '--log-level', 'error');
  const child = spawn(process.execPath, [cli, ...args], { stdio: 'ignore' });
  const listeners = JSON.parse(await waitForFile(join(dataDir, 'listeners.json'), 30_000));
  const admin = JSON.parse(await readFile(join(dataDir, 'admin-credentials.json'), 'utf8'));
  return {
    child,
    target: { mqttPort: listeners.mqtt, httpPort: listeners.http, ...admin },
  };
}

/** One MQTT 5 CONNECT from `localAddress`; the CONNACK reason code as an outcome. */
function mqttAttempt(
  target: Target,
  localAddress: string,
  username: string,
  password: string,
): Promise<Outcome> {
  const connectPacket = encodePacket(
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      clientId: '',
      keepalive: 30,
      username,
      password: Buffer.from(password),
    },
    5,
  );
  return new Promise((done) => {
    const socket: Socket = connect({ host: '127.0.0.1', port: target.mqttPort, localAddress });
    let answered = false;
    const finish = (outcome: Outcome): void => {
      if (answered) return;
      answered = true;
      socket.destroy();
      done(outcome);
    };
    socket.on('connect', () => socket.write(connectPacket));
    // CONNACK: 0x20, remaining length (one byte here), flags, reason code.
    socket.on('data', (data: Buffer) => {
      const code = data[0] === 0x20 ? data[3] : undefined;
      finish(
        code === 0
          ? 'accepted'
          : code === 0x9f
            ? 'throttled'
            : code === 0x86 || code === 0x87
              ? 'guess'
              : 'other',
      );
    });
    socket.on('error', () => finish('other'));
    socket.on('close', () => finish('other'));
  });
}

/** One `POST /oauth2/token` from `localAddress`. */
function httpAttempt(target: Target, localAddress: string, secret: string): Promise<Outcome> {
  const query = `grant_type=client_credentials&client_id=${encodeURIComponent(target.clientId)}&client_secret=${encodeURIComponent(secret)}`;
  return new Promise((done) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.httpPort,
        path: `/oauth2/token?${query}`,
        method: 'POST',
        localAddress,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          done(
            status === 200
              ? 'accepted'
              : status === 429
                ? 'throttled'
                : status === 400 || status === 401
                  ? 'guess'
                  : 'other',
          );
        });
      },
    );
    req.on('error', () => done('other'));
    req.end();
  });
}

interface Phase {
  readonly name: string;
  /** A wrong guess from `address`. */
  readonly attack: (address: string) => Promise<Outcome>;
  /** The real client's login from another address. */
  readonly legit: () => Promise<Outcome>;
}

interface PhaseResult {
  readonly name: string;
  readonly attempts: number;
  readonly guessesPerSec: number;
  readonly throttledPerSec: number;
  readonly legitOk: number;
  readonly legitTotal: number;
  readonly legitP50Ms: number;
  readonly legitMaxMs: number;
}

async function runPhase(
  phase: Phase,
  attackers: readonly string[],
  seconds: number,
  concurrency: number,
): Promise<PhaseResult> {
  const counts: Record<Outcome, number> = { guess: 0, throttled: 0, accepted: 0, other: 0 };
  const deadline = performance.now() + seconds * 1000;
  // At least one loop per attacking address.
  const loops = Array.from({ length: Math.max(concurrency, attackers.length) }, async (_, i) => {
    const address = attackers[i % attackers.length] ?? '127.0.0.1';
    while (performance.now() < deadline) counts[await phase.attack(address)]++;
  });
  const legitMs: number[] = [];
  let legitOk = 0;
  const legitLoop = (async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      if ((await phase.legit()) === 'accepted') legitOk++;
      legitMs.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, LEGIT_EVERY_MS));
    }
  })();
  await Promise.all([...loops, legitLoop]);
  legitMs.sort((a, b) => a - b);
  return {
    name: phase.name,
    attempts: counts.guess + counts.throttled + counts.other,
    guessesPerSec: counts.guess / seconds,
    throttledPerSec: counts.throttled / seconds,
    legitOk,
    legitTotal: legitMs.length,
    legitP50Ms: legitMs[Math.floor(legitMs.length / 2)] ?? 0,
    legitMaxMs: legitMs.at(-1) ?? 0,
  };
}

function randomToken(): string {
  return Math.random().toString(36).slice(2).padEnd(32, 'x');
}

function phases(target: Target): Array<{ phase: Phase; attackers: string[] }> {
  const legitMqtt = () => mqttAttempt(target, LEGIT, target.clientId, target.clientSecret);
  // Each phase guesses from its own address, so one phase's lockout does not carry into the next.
  return [
    {
      phase: {
        name: 'OAuth secret, HTTP POST /oauth2/token',
        attack: (address) => httpAttempt(target, address, randomToken()),
        legit: () => httpAttempt(target, LEGIT, target.clientSecret),
      },
      attackers: ['127.0.0.1'],
    },
    {
      phase: {
        name: 'OAuth secret, MQTT CONNECT',
        attack: (address) => mqttAttempt(target, address, target.clientId, randomToken()),
        legit: legitMqtt,
      },
      attackers: ['127.0.0.3'],
    },
    {
      phase: {
        name: 'device token, MQTT CONNECT (device)',
        attack: (address) => mqttAttempt(target, address, 'device', randomToken()),
        legit: legitMqtt,
      },
      attackers: ['127.0.0.4'],
    },
    {
      phase: {
        name: 'device token, MQTT CONNECT (mgmt_device)',
        attack: (address) => mqttAttempt(target, address, 'mgmt_device', randomToken()),
        legit: legitMqtt,
      },
      attackers: ['127.0.0.5'],
    },
    {
      phase: {
        name: 'OAuth secret, MQTT, 16 addresses at once',
        attack: (address) => mqttAttempt(target, address, target.clientId, randomToken()),
        legit: legitMqtt,
      },
      attackers: Array.from({ length: 16 }, (_, i) => `127.0.1.${i + 1}`),
    },
  ];
}

function table(results: readonly PhaseResult[], seconds: number): string {
  const lines = [
    `| attack (${seconds} s each) | attempts | guesses checked/s | throttled/s | legit logins ok | legit p50 ms | legit max ms |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.attempts} | ${r.guessesPerSec.toFixed(1)} | ${r.throttledPerSec.toFixed(1)} | ${r.legitOk}/${r.legitTotal} | ${r.legitP50Ms.toFixed(1)} | ${r.legitMaxMs.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cli: { type: 'string', default: resolve(import.meta.dirname, '../src/cli/main.js') },
      seconds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '8' },
    },
  });
  const seconds = Math.min(60, Math.max(1, Number(values.seconds)));
  const concurrency = Math.min(64, Math.max(1, Number(values.concurrency)));
  const dataDir = await mkdtemp(join(tmpdir(), 'devgate-auth-bench-'));
  const { child, target } = await startDevgate(resolve(values.cli), dataDir);
  try {
    const results: PhaseResult[] = [];
    for (const { phase, attackers } of phases(target)) {
      results.push(await runPhase(phase, attackers, seconds, concurrency));
      process.stderr.write(`done: ${phase.name}\n`);
    }
    process.stdout.write(`${table(results, seconds)}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
