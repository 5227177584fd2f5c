import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { untilRecord } from '../helpers/log-lines.js';
import { tempDataDir } from '../helpers/platform-server.js';
import { connackOver } from '../helpers/proxied-client.js';
import { cliStarted, readDataFile, spawnCli } from '../helpers/spawn-cli.js';
import { nextEvent, WAIT_MS, within } from '../helpers/wait.js';

/**
 * Interoperability with a real HAProxy (Debian `haproxy`) in TCP mode in front of `devgate broker`:
 * `send-proxy` (v1) and `send-proxy-v2` to the MQTT TCP listener, `send-proxy-v2` to the MQTT TLS
 * listener (TLS passes through). The broker's connection log must name the client behind HAProxy.
 * Skipped without the binary, unless DEVGATE_REQUIRE_HAPROXY=1 (CI), where that fails.
 */

const HAPROXY_CANDIDATES = ['/usr/sbin/haproxy', 'haproxy'];
/** The client's own source: a loopback address HAProxy itself does not use, so the log can only name it through the header. */
const CLIENT_ADDRESS = '127.0.0.9';

function haproxyBinary(): string | undefined {
  for (const candidate of HAPROXY_CANDIDATES) {
    const probe = spawnSync(candidate, ['-v'], { stdio: 'ignore' });
    if (probe.error === undefined && probe.status === 0) return candidate;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function haproxyConfig(fronts: readonly { port: number; backend: number; send: string }[]): string {
  const sections = fronts.map(
    ({ port, backend, send }, i) => `
frontend front${i}
  bind 127.0.0.1:${port}
  default_backend back${i}
backend back${i}
  server devgate 127.0.0.1:${backend} ${send}
`,
  );
  return `global
  maxconn 100
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
${sections.join('')}`;
}

/** Starts HAProxy in the foreground; resolves once every frontend accepts. */
async function startHaproxy(t: TestContext, binary: string, dir: string, config: string, ports: number[]) {
  const path = join(dir, 'haproxy.cfg');
  await writeFile(path, config);
  const child = spawn(binary, ['-db', '-f', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.after(() => {
    child.kill('SIGKILL');
  });
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${output}`);
      const probe = tcpConnect({ host: '127.0.0.1', port });
      const ok = await new Promise<boolean>((resolve) => {
        probe.once('connect', () => resolve(true));
        probe.once('error', () => resolve(false));
      });
      probe.destroy();
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${port}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function clientSocket(t: TestContext, port: number): Promise<Socket> {
  const socket = tcpConnect({ host: '127.0.0.1', port, localAddress: CLIENT_ADDRESS });
  t.after(() => socket.destroy());
  await within(nextEvent(socket, 'connect'), WAIT_MS, 'connect to haproxy');
  return socket;
}

test('interop: HAProxy send-proxy and send-proxy-v2 (TCP mode) in front of devgate broker --proxy-protocol; the connection log names the client behind it', async (t) => {
  const binary = haproxyBinary();
  if (binary === undefined) {
    const reason = 'haproxy not installed (apt-get install haproxy)';
    if (process.env.DEVGATE_REQUIRE_HAPROXY === '1') assert.fail(`DEVGATE_REQUIRE_HAPROXY=1 but ${reason}`);
    t.skip(reason);
    return;
  }
  const dir = await tempDataDir(t, 'devgate-haproxy-');
  const dataDir = join(dir, 'data');
  const cli = spawnCli(
    t,
    [
      'broker',
      '--data-dir',
      dataDir,
      '--host',
      '127.0.0.1',
      '--mqtt-port',
      '0',
      '--mqtts-port',
      '0',
      '--http-port',
      'off',
      '--https-port',
      'off',
      '--allow-anonymous',
      '--proxy-protocol',
      '--proxy-protocol-from',
      '127.0.0.1',
      '--log-format',
      'json',
      // Refused headers are logged at debug.
      '--log-level',
      'debug',
    ],
    { timeoutMs: 15_000 },
  );
  await cliStarted(cli, 'the broker to start');
  assert.match(
    cli.output.stderr,
    /proxy +PROXY protocol header required on mqtt, mqtts \(from 127\.0\.0\.1\)/,
  );
  const { mqtt, mqtts } = await readDataFile<{ mqtt: number; mqtts: number }>(dataDir, 'listeners.json');
  const fronts = [
    { port: await freePort(), backend: mqtt, send: 'send-proxy' },
    { port: await freePort(), backend: mqtt, send: 'send-proxy-v2' },
    { port: await freePort(), backend: mqtts, send: 'send-proxy-v2' },
    // Health checks that send a header of their own (then reset): devgate must accept it.
    { port: await freePort(), backend: mqtt, send: 'send-proxy-v2 check check-send-proxy inter 100ms' },
  ];
  await startHaproxy(
    t,
    binary,
    dir,
    haproxyConfig(fronts),
    fronts.map((f) => f.port),
  );

  const clients = ['haproxy-v1', 'haproxy-v2', 'haproxy-v2-tls'];
  for (const [i, front] of fronts.slice(0, 3).entries()) {
    const socket = await clientSocket(t, front.port);
    const clientPort = socket.localPort;
    const stream = i === 2 ? tlsConnect({ socket, rejectUnauthorized: false }) : socket;
    if (i === 2) await within(nextEvent(stream, 'secureConnect'), WAIT_MS, 'TLS through haproxy');
    assert.equal(await connackOver(stream, { clientId: clients[i]!, protocolVersion: 5 }), 0);
    const record = await untilRecord(cli, 'client connected', { clientId: clients[i] });
    assert.equal(
      record.remote,
      `${CLIENT_ADDRESS}:${clientPort}`,
      `${front.send}: ${JSON.stringify(record)}`,
    );
    assert.equal(record.transport, i === 2 ? 'tls' : 'tcp');
  }
  // The health checks ran (every 100 ms) while the clients connected; none of their headers, nor any
  // other HAProxy sent, was refused.
  assert.doesNotMatch(cli.output.stdout, /PROXY header refused/);
});
