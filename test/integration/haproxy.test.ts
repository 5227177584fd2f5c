import assert from 'node:assert/strict';
import { type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { freePort } from '../helpers/free-port.js';
import { haproxyOrSkip, startHaproxy } from '../helpers/haproxy.js';
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

/** The client's own source: a loopback address HAProxy itself does not use, so the log can only name it through the header. */
const CLIENT_ADDRESS = '127.0.0.9';

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

async function clientSocket(t: TestContext, port: number): Promise<Socket> {
  const socket = tcpConnect({ host: '127.0.0.1', port, localAddress: CLIENT_ADDRESS });
  t.after(() => socket.destroy());
  await within(nextEvent(socket, 'connect'), WAIT_MS, 'connect to haproxy');
  return socket;
}

test('interop: HAProxy send-proxy and send-proxy-v2 (TCP mode) in front of devgate broker --proxy-protocol; the connection log names the client behind it', async (t) => {
  const binary = haproxyOrSkip(t);
  if (binary === undefined) return;
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
