/** Servers with every listener enabled, and clients for each transport (tcp, tls, ws, wss). */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { type Packet, parser } from 'mqtt-packet';
import { generate as generateCert } from 'selfsigned';
import { WebSocket } from 'ws';
import { defaultLimits } from '../../src/config/limits.js';
import type { ServerConfig } from '../../src/config/server-config.js';
import { createServer, type DevgateServer, type ServerDeps } from '../../src/server.js';
import { TEST_SOCKET_WORKERS } from './start-server.js';
import { nextEvent, WAIT_MS, within } from './wait.js';

export interface Started {
  readonly server: DevgateServer;
  readonly dataDir: string;
}

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-tr-'));
  t.after(() => rm(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}

export function allListeners(dataDir: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    dataDir,
    host: '127.0.0.1',
    mqttPort: 0,
    mqttsPort: 0,
    httpPort: 0,
    httpsPorts: [0],
    socketWorkers: TEST_SOCKET_WORKERS,
    persistence: false,
    limits: defaultLimits,
    auth: { allowAnonymous: true },
    logLevel: 'silent',
    ...overrides,
  };
}

/** Every listener on a free port; the server closes before its data dir is removed. */
export async function start(
  t: TestContext,
  overrides: Partial<ServerConfig> = {},
  deps: ServerDeps = {},
): Promise<Started> {
  const dataDir = await tempDir(t);
  const server = await createServer(allListeners(dataDir, overrides), deps);
  t.after(() => server.close());
  return { server, dataDir };
}

export function urls(server: DevgateServer): Record<'tcp' | 'tls' | 'ws' | 'wss', string> {
  const { mqtt, mqtts, http, https } = server.addresses;
  return {
    tcp: `mqtt://127.0.0.1:${mqtt}`,
    tls: `mqtts://127.0.0.1:${mqtts}`,
    ws: `ws://127.0.0.1:${http}/mqtt`,
    wss: `wss://127.0.0.1:${https[0]}/mqtt`,
  };
}

export async function client(t: TestContext, url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const c = await within(
    connectAsync(url, { reconnectPeriod: 0, connectTimeout: WAIT_MS, rejectUnauthorized: false, ...options }),
    WAIT_MS + 500,
    `connect to ${url}`,
  );
  t.after(() => c.endAsync(true));
  return c;
}

/** A raw WebSocket to the server; resolves once open, rejects on refusal. */
export function openWs(t: TestContext, url: string, protocols?: string[]): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, { rejectUnauthorized: false });
  t.after(() => ws.terminate());
  return within(
    new Promise<WebSocket>((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    }),
    WAIT_MS,
    `websocket ${url}`,
  );
}

/** Decodes MQTT packets arriving over a WebSocket, whatever the framing. */
export function wsPackets(ws: WebSocket, protocolVersion: 4 | 5 = 4): () => Promise<Packet> {
  const queue: Packet[] = [];
  let wake: (() => void) | undefined;
  const decode = parser({ protocolVersion });
  decode.on('packet', (packet: Packet) => {
    queue.push(packet);
    wake?.();
  });
  ws.on('message', (data: Buffer) => decode.parse(data));
  return async () => {
    while (queue.length === 0) {
      await within(new Promise<void>((resolve) => (wake = resolve)), WAIT_MS, 'a packet over websocket');
    }
    return queue.shift()!;
  };
}

export function tlsSocket(port: number, options: ConnectionOptions = {}) {
  return tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
}

/** SHA-256 fingerprint of the certificate a TLS port presents now. */
export async function peerFingerprint(port: number): Promise<string> {
  const socket = tlsSocket(port);
  try {
    await within(nextEvent(socket, 'secureConnect'), WAIT_MS, 'TLS handshake');
    return socket.getPeerX509Certificate()!.fingerprint256;
  } finally {
    socket.destroy();
  }
}

/** A certificate file pair for reload tests: `first` written now, `swap()` writes `second`. */
export interface ReloadableCert {
  readonly certPath: string;
  readonly keyPath: string;
  /** SHA-256 fingerprints, as `peerFingerprint` reports them. */
  readonly first: string;
  readonly second: string;
  /** Writes the second pair over the first (key, then certificate). */
  swap(): Promise<void>;
}

export async function reloadableCert(t: TestContext): Promise<ReloadableCert> {
  const dir = await tempDir(t);
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const first = await generateCert([{ name: 'commonName', value: 'first' }], { algorithm: 'sha256' });
  const second = await generateCert([{ name: 'commonName', value: 'second' }], { algorithm: 'sha256' });
  await writeFile(keyPath, first.private);
  await writeFile(certPath, first.cert);
  const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;
  return {
    certPath,
    keyPath,
    first: fingerprint(first.cert),
    second: fingerprint(second.cert),
    swap: async () => {
      await writeFile(keyPath, second.private);
      await writeFile(certPath, second.cert);
    },
  };
}
