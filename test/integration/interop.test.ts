import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer } from '../helpers/start-server.js';

/**
 * Interoperability with third-party clients: the Paho-style suites (test/interop/client_test.py for
 * MQTT 3.1.1, client_test5.py for 5.0) on the Debian python3-paho-mqtt client, and the
 * mosquitto_pub/mosquitto_sub checks, each run as a child process against a fresh devgate.
 * Skipped, with the reason, where those clients are not installed. See docs/interop.md.
 */

const PYTHON = '/usr/bin/python3';
/** Generous: the v5 suite has real-time waits (keepalive, session expiry, will delay) of ~50 s. */
const SCRIPT_TIMEOUT_MS = 110_000;

/** test/interop in the source tree, found upwards from this compiled file (dist/ or .tmp/NAME/). */
function interopDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'test', 'interop');
    if (existsSync(join(candidate, 'client_test5.py'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('test/interop not found above the compiled test');
    dir = parent;
  }
}

function missingPaho(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import paho.mqtt.client'], { stdio: 'ignore' });
  return probe.status === 0
    ? undefined
    : 'python3-paho-mqtt not installed (apt-get install python3-paho-mqtt)';
}

function missingMosquitto(): string | undefined {
  for (const tool of ['mosquitto_pub', 'mosquitto_sub']) {
    const probe = spawnSync(tool, ['--help'], { stdio: 'ignore' });
    if (probe.error !== undefined) return `${tool} not installed (apt-get install mosquitto-clients)`;
  }
  return undefined;
}

interface ScriptResult {
  readonly code: number | null;
  readonly output: string;
}

/** Runs one script to completion; kills it if the test ends first. */
function runScript(t: TestContext, script: string, port: number): Promise<ScriptResult> {
  const child = spawn(PYTHON, ['-B', join(interopDir(), script), '-h', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), SCRIPT_TIMEOUT_MS);
  t.after(() => {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function suite(t: TestContext, script: string, skipReason: string | undefined): Promise<void> {
  if (skipReason !== undefined) {
    t.skip(skipReason);
    return;
  }
  // The Paho test broker's set-up: "nosubscribe" filters refused (ACL), Server Keep Alive 60.
  const server = await startServer(t, {
    auth: { allowAnonymous: true, aclFile: join(interopDir(), 'interop.acl') },
    limits: { maxKeepAlive: 60 },
  });
  const { code, output } = await runScript(t, script, server.port);
  for (const line of output.trimEnd().split('\n')) t.diagnostic(line);
  const summary = /(\d+) passed, (\d+) failed/.exec(output);
  assert.ok(summary !== null, `${script} printed no summary:\n${output}`);
  assert.equal(summary[2], '0', `${script} reported failures:\n${output}`);
  assert.equal(code, 0, `${script} exited with ${code}:\n${output}`);
}

describe('interoperability with third-party MQTT clients', { concurrency: true }, () => {
  const paho = missingPaho();

  test('Paho-style MQTT 3.1.1 suite (client_test.py, paho-mqtt)', (t) => suite(t, 'client_test.py', paho));

  test('Paho-style MQTT 5.0 suite (client_test5.py, paho-mqtt)', (t) => suite(t, 'client_test5.py', paho));

  test('mosquitto_pub / mosquitto_sub, MQTT 3.1.1 and 5.0 (mosquitto_test.py)', (t) =>
    suite(t, 'mosquitto_test.py', paho ?? missingMosquitto()));
});
