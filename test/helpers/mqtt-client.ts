import type { TestContext } from 'node:test';
import { connect, type IClientOptions, type IClientSubscribeOptions, type MqttClient } from 'mqtt';
import type {
  IConnackPacket,
  IDisconnectPacket,
  IPublishPacket,
  ISubackPacket,
  IUnsubackPacket,
  Packet,
} from 'mqtt-packet';
import { quietPeriod, WAIT_MS, within } from './wait.js';

/** A connected `mqtt` client, its CONNACK and every 'error' it emitted (kept so none go unhandled). */
export interface Connected {
  readonly client: MqttClient;
  readonly connack: IConnackPacket;
  readonly errors: Error[];
  readonly inbox: Inbox;
}

let clientCounter = 0;

/** A client id unique within the process, readable in failures. */
export function uniqueId(prefix = 'c'): string {
  clientCounter += 1;
  return `${prefix}-${process.pid}-${clientCounter}`;
}

/** Options every test client shares: no auto-reconnect, bounded connect. */
export function baseOptions(port: number, options: IClientOptions): IClientOptions {
  return {
    host: '127.0.0.1',
    port,
    protocol: 'mqtt',
    reconnectPeriod: 0,
    connectTimeout: WAIT_MS,
    clientId: uniqueId(),
    ...options,
  };
}

/** Ends a client abruptly (no DISCONNECT), ignoring errors; for teardown. */
export async function destroyClient(client: MqttClient): Promise<void> {
  await within(client.endAsync(true), WAIT_MS, 'client end').catch(() => undefined);
}

/**
 * Connects a real `mqtt` client and waits for a successful CONNACK; its Inbox sees every message
 * from the first one on. Ended abruptly after the test.
 */
export async function connectClient(
  t: TestContext,
  port: number,
  options: IClientOptions = {},
): Promise<Connected> {
  const client = connect(baseOptions(port, options));
  const inbox = new Inbox(client);
  const errors: Error[] = [];
  client.on('error', (err) => errors.push(err));
  t.after(() => destroyClient(client));
  const connack = await within(
    new Promise<IConnackPacket>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('close', () =>
        reject(new Error(`closed before CONNACK: ${errors.map(String).join('; ')}`)),
      );
    }),
    WAIT_MS + 500,
    'CONNACK',
  );
  return { client, connack, errors, inbox };
}

/** Connects expecting a refusal; resolves with the CONNACK the server sent (undefined if none) once closed. */
export async function connectRefused(
  t: TestContext,
  port: number,
  options: IClientOptions = {},
): Promise<IConnackPacket | undefined> {
  const client = connect(baseOptions(port, options));
  t.after(() => destroyClient(client));
  let connack: IConnackPacket | undefined;
  client.on('error', () => undefined);
  client.on('packetreceive', (packet: Packet) => {
    if (packet.cmd === 'connack') connack = packet;
  });
  await within(
    new Promise<void>((resolve, reject) => {
      client.once('connect', () => reject(new Error('connection was accepted')));
      client.once('close', () => resolve());
    }),
    WAIT_MS + 500,
    'refused connection to close',
  );
  return connack;
}

/** What the server did when it ended a connection: the DISCONNECT it sent first, if any. */
export interface ServerClose {
  readonly disconnect?: IDisconnectPacket;
}

/**
 * Resolves when the connection closes, with the server's DISCONNECT if one arrived first.
 * Call it before triggering the close.
 */
export function serverClose(client: MqttClient, ms = WAIT_MS): Promise<ServerClose> {
  let disconnect: IDisconnectPacket | undefined;
  const onDisconnect = (packet: IDisconnectPacket): void => {
    disconnect = packet;
  };
  client.on('disconnect', onDisconnect);
  const closed = new Promise<ServerClose>((resolve) => {
    client.once('close', () => resolve(disconnect === undefined ? {} : { disconnect }));
  });
  return within(closed, ms, 'the server to close the connection').finally(() =>
    client.off('disconnect', onDisconnect),
  );
}

/** The SUBACK reason codes for one SUBSCRIBE (failures included, which subscribeAsync would throw on). */
export async function subscribeCodes(
  client: MqttClient,
  topics: string | string[] | Record<string, IClientSubscribeOptions>,
  options: IClientSubscribeOptions = { qos: 0 },
): Promise<number[]> {
  const suback = await nextPacketOf<ISubackPacket>(client, 'suback', () => {
    client.subscribe(topics as string, options, () => undefined);
  });
  return suback.granted as number[];
}

/** The UNSUBACK packet for one UNSUBSCRIBE. */
export function unsubscribePacket(
  client: MqttClient,
  topics: string | string[],
  properties?: Record<string, unknown>,
): Promise<IUnsubackPacket> {
  return nextPacketOf<IUnsubackPacket>(client, 'unsuback', () => {
    client.unsubscribe(topics, properties === undefined ? {} : { properties }, () => undefined);
  });
}

/** Runs `action` and resolves with the next received packet of type `cmd`. */
export function nextPacketOf<P extends Packet>(
  client: MqttClient,
  cmd: P['cmd'],
  action: () => void = () => undefined,
  ms = WAIT_MS,
): Promise<P> {
  let listener: ((packet: Packet) => void) | undefined;
  const received = new Promise<P>((resolve) => {
    listener = (packet: Packet) => {
      if (packet.cmd === cmd) resolve(packet as P);
    };
    client.on('packetreceive', listener);
  });
  action();
  return within(received, ms, `a ${cmd} packet`).finally(() => {
    if (listener) client.off('packetreceive', listener);
  });
}

/** One application message as the client saw it. */
export interface Received {
  readonly topic: string;
  readonly payload: Buffer;
  readonly packet: IPublishPacket;
}

/** Collects a client's messages in arrival order; tests consume them one by one. */
export class Inbox {
  readonly all: Received[] = [];
  private cursor = 0;
  private wake: (() => void) | undefined;

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.all.push({ topic, payload, packet });
      this.wake?.();
    });
  }

  /** Messages received and not yet consumed. */
  get pending(): Received[] {
    return this.all.slice(this.cursor);
  }

  /** The next unconsumed message. */
  async next(ms = WAIT_MS): Promise<Received> {
    const [first] = await this.take(1, ms);
    return first!;
  }

  /** The next `count` unconsumed messages. */
  async take(count: number, ms = WAIT_MS): Promise<Received[]> {
    const deadline = Date.now() + ms;
    while (this.all.length - this.cursor < count) {
      const left = deadline - Date.now();
      const have = this.all.length - this.cursor;
      if (left <= 0)
        throw new Error(`timed out waiting for ${count} message(s); got ${have}: ${this.describe()}`);
      await within(
        new Promise<void>((resolve) => {
          this.wake = resolve;
        }),
        left,
        `${count} message(s), got ${have}: ${this.describe()}`,
      );
    }
    const taken = this.all.slice(this.cursor, this.cursor + count);
    this.cursor += count;
    return taken;
  }

  /** Consumes messages up to and including the first on `topic`; returns those before it. */
  async until(topic: string, ms = WAIT_MS): Promise<Received[]> {
    const skipped: Received[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const message = await this.next(Math.max(1, deadline - Date.now()));
      if (message.topic === topic) return skipped;
      skipped.push(message);
    }
  }

  /** Asserts that nothing more arrives during a short quiet period. */
  async expectNone(ms = 300): Promise<void> {
    await quietPeriod(ms);
    if (this.pending.length > 0) throw new Error(`expected no more messages, got: ${this.describe()}`);
  }

  private describe(): string {
    return JSON.stringify(this.pending.map((m) => ({ topic: m.topic, payload: m.payload.toString() })));
  }
}

/** CONNACK result whatever the version: v5 reasonCode or 3.1.1 returnCode. */
export function connackCode(connack: IConnackPacket): number {
  return connack.reasonCode ?? connack.returnCode ?? -1;
}

/** Subscription Identifiers of a delivered PUBLISH as an array (mqtt-packet gives number or array). */
export function subscriptionIds(packet: IPublishPacket): number[] {
  const ids = packet.properties?.subscriptionIdentifier;
  if (ids === undefined) return [];
  return Array.isArray(ids) ? [...ids] : [ids];
}
