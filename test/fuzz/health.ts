/**
 * After fuzzing, a well-behaved client (the `mqtt` package) must still get a message through on each
 * server, with both protocol versions and both transports. It connects from another loopback
 * address than the fuzzer: the fuzzer's failed logins throttle its own address (decision 0009),
 * and a legitimate client elsewhere must never be slowed by them.
 */
import { randomUUID } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { connectAsync, type IClientOptions, MqttClient } from 'mqtt';
import { within } from '../helpers/wait.js';
import type { FuzzTargets, ServerProcess } from './target.js';
import type { TransportKind } from './transport.js';

const HEALTH_MS = 10_000;
/** The well-behaved client's source address (loopback is a /8; the fuzzer uses 127.0.0.1). */
const HEALTH_ADDRESS = '127.0.0.2';

export interface RoundTrip {
  readonly what: string;
  readonly ok: boolean;
  readonly error?: string;
}

interface Endpoint {
  readonly server: ServerProcess;
  readonly transport: TransportKind;
}

function describe({ server, transport }: Endpoint): string {
  return transport === 'tcp'
    ? `mqtt://127.0.0.1:${server.mqttPort}`
    : `ws://127.0.0.1:${server.httpPort}/mqtt`;
}

/** A connected client from HEALTH_ADDRESS. */
function connectFromHealthAddress(endpoint: Endpoint, options: IClientOptions): Promise<MqttClient> {
  const settings = { reconnectPeriod: 0, connectTimeout: HEALTH_MS, clean: true, ...options };
  if (endpoint.transport === 'ws')
    return connectAsync(describe(endpoint), { ...settings, wsOptions: { localAddress: HEALTH_ADDRESS } });
  const port = endpoint.server.mqttPort;
  const client = new MqttClient(
    () => tcpConnect({ host: '127.0.0.1', port, localAddress: HEALTH_ADDRESS }),
    settings,
  );
  return new Promise((resolve, reject) => {
    client.once('connect', () => {
      client.off('error', reject);
      resolve(client);
    });
    client.once('error', reject);
  });
}

async function withClient(
  endpoint: Endpoint,
  options: IClientOptions,
  use: (c: MqttClient) => Promise<void>,
) {
  const client = await within(
    connectFromHealthAddress(endpoint, options),
    HEALTH_MS,
    `connect to ${describe(endpoint)}`,
  );
  client.on('error', () => undefined);
  try {
    await use(client);
  } finally {
    await client.endAsync(true);
  }
}

function nextMessage(client: MqttClient, topic: string): Promise<string> {
  return within(
    new Promise<string>((resolve) => {
      const onMessage = (received: string, payload: Buffer): void => {
        if (received !== topic) return;
        client.off('message', onMessage);
        resolve(payload.toString());
      };
      client.on('message', onMessage);
    }),
    HEALTH_MS,
    `a message on ${topic}`,
  );
}

/** Plain broker: subscribe, publish at QoS 1, receive the same payload. */
async function brokerRoundTrip(address: Endpoint, protocolVersion: 4 | 5): Promise<void> {
  const topic = `health/${randomUUID()}`;
  const payload = randomUUID();
  await withClient(address, { protocolVersion }, async (client) => {
    await client.subscribeAsync(topic, { qos: 1 });
    const received = nextMessage(client, topic);
    await client.publishAsync(topic, payload, { qos: 1 });
    if ((await received) !== payload) throw new Error('payload changed on the way');
  });
}

/** Platform, device login (spec §3.2): store a value with ds/Message, read it back with get/ds. */
async function deviceRoundTrip(address: Endpoint, protocolVersion: 4 | 5, token: string): Promise<void> {
  const payload = `health ${randomUUID()}`;
  await withClient(address, { protocolVersion, username: 'device', password: token }, async (client) => {
    await client.subscribeAsync('downlink/#', { qos: 1 });
    await client.publishAsync('ds/Message', payload, { qos: 1 });
    const received = nextMessage(client, 'downlink/ds/Message');
    await client.publishAsync('get/ds', 'Message', { qos: 1 });
    if ((await received) !== payload) throw new Error('get/ds returned another value');
  });
}

async function attempt(what: string, run: () => Promise<void>): Promise<RoundTrip> {
  try {
    await run();
    return { what, ok: true };
  } catch (err) {
    return { what, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Every round trip, one after the other (device logins share one token). */
export async function roundTrips(targets: FuzzTargets): Promise<RoundTrip[]> {
  const results: RoundTrip[] = [];
  for (const transport of ['tcp', 'ws'] as const) {
    for (const version of [4, 5] as const) {
      const broker = { server: targets.broker, transport };
      results.push(await attempt(`broker ${transport} v${version}`, () => brokerRoundTrip(broker, version)));
      const platform = { server: targets.platform, transport };
      results.push(
        await attempt(`platform device ${transport} v${version}`, () =>
          deviceRoundTrip(platform, version, targets.logins.healthToken),
        ),
      );
    }
  }
  return results;
}
