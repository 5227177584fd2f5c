import { type Logger, pino } from 'pino';
import { type Authenticator, type Authorizer, allowAll } from '../../src/broker/auth.js';
import { Broker } from '../../src/broker/broker.js';
import type { EngineStores } from '../../src/broker/store-ports.js';
import { defaultLimits, type Limits } from '../../src/config/limits.js';
import { PacketDecoder } from '../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../src/mqtt/codec/encoder.js';
import type {
  ConnackPacket,
  ConnectPacket,
  Packet,
  ProtocolVersion,
  PublishPacket,
  QoS,
  Subscription,
} from '../../src/mqtt/codec/packet.js';
import { Channel, type ChannelSink } from '../../src/mqtt/protocol/channel.js';
import { EngineMetrics } from '../../src/observability/metrics.js';
import { openMemoryStores } from '../../src/store/memory/index.js';
import { FakeClock } from './fake-clock.js';

export { FakeClock } from './fake-clock.js';

/** The largest frame MQTT can express; the recording side never refuses a packet for size. */
const MAX_FRAME = 268_435_455 + 5;

/** A ChannelSink that decodes every write back into packets, as the client would see them. */
export class RecordingSink implements ChannelSink {
  readonly packets: Packet[] = [];
  readonly keepalives: number[] = [];
  endCalls = 0;
  destroyCalls = 0;
  connectedCalls = 0;
  /** What bufferedBytes() reports: raise it to simulate a congested socket. */
  buffered = 0;
  readonly #decoder: PacketDecoder;

  constructor(protocolVersion: ProtocolVersion) {
    this.#decoder = new PacketDecoder({ maxPacketSize: MAX_FRAME, protocolVersion });
  }

  write(bytes: Buffer): void {
    this.packets.push(...this.#decoder.push(bytes));
  }

  bufferedBytes(): number {
    return this.buffered;
  }

  end(): void {
    this.endCalls++;
  }

  destroy(): void {
    this.destroyCalls++;
  }

  setKeepalive(ms: number): void {
    this.keepalives.push(ms);
  }

  connected(): void {
    this.connectedCalls++;
  }

  get ended(): boolean {
    return this.endCalls > 0 || this.destroyCalls > 0;
  }

  /** Everything written since the last take. */
  take(): Packet[] {
    return this.packets.splice(0);
  }
}

export interface HarnessOptions {
  readonly limits?: Partial<Limits>;
  readonly authenticator?: Authenticator;
  readonly authorizer?: Authorizer;
  /** true: fresh memory stores; or the stores to use (e.g. shared with another harness). */
  readonly stores?: boolean | EngineStores;
  readonly clock?: FakeClock;
  /** Default: silent. */
  readonly logger?: Logger;
}

export interface Harness {
  readonly broker: Broker;
  readonly clock: FakeClock;
  readonly metrics: EngineMetrics;
  readonly stores: EngineStores | undefined;
  readonly limits: Limits;
}

/** A Broker on a fake clock with a silent logger; no sockets. Call `broker.close()` when done. */
export function createHarness(options: HarnessOptions = {}): Harness {
  const limits: Limits = { ...defaultLimits, ...options.limits };
  const clock = options.clock ?? new FakeClock();
  const metrics = new EngineMetrics();
  const stores =
    options.stores === true ? openMemoryStores() : options.stores === false ? undefined : options.stores;
  const broker = new Broker({
    limits,
    authenticator: options.authenticator ?? allowAll,
    authorizer: options.authorizer ?? allowAll,
    logger: options.logger ?? pino({ level: 'silent' }),
    clock,
    metrics,
    stores,
  });
  return { broker, clock, metrics, stores, limits };
}

export interface PublishOptions {
  readonly qos?: QoS;
  readonly retain?: boolean;
  readonly dup?: boolean;
  readonly messageId?: number;
  readonly properties?: PublishPacket['properties'];
}

/** One client: a Channel, its recording sink, and a server-side decoder for what it is fed. */
export class TestClient {
  readonly #inbound: PacketDecoder;

  constructor(
    readonly harness: Harness,
    readonly channel: Channel,
    readonly sink: RecordingSink,
    readonly version: ProtocolVersion,
  ) {
    this.#inbound = new PacketDecoder({ maxPacketSize: harness.limits.maxPacketSize });
  }

  /**
   * Encodes the packet, decodes it as the server's decoder would, and awaits the channel, and the
   * acknowledgements it deferred (a QoS 1 PUBACK waits for the store flush after the handler).
   */
  async send(packet: Packet): Promise<void> {
    for (const decoded of this.#inbound.push(encodePacket(packet, this.version))) {
      await this.channel.handle(decoded);
    }
    await this.channel.acks.whenBelow(1);
  }

  /** Hands a packet object to the channel as is, bypassing the codec (for cases it would refuse). */
  async handle(packet: Packet): Promise<void> {
    await this.channel.handle(packet);
    await this.channel.acks.whenBelow(1);
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const qos = options.qos ?? 0;
    return this.send({
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos,
      retain: options.retain ?? false,
      dup: options.dup ?? false,
      ...(qos > 0 ? { messageId: options.messageId ?? 1 } : {}),
      ...(options.properties === undefined ? {} : { properties: options.properties }),
    });
  }

  /** SUBSCRIBE; returns the SUBACK codes. Other packets written meanwhile stay in the sink. */
  async subscribe(
    subscriptions: readonly Subscription[] | string,
    options: { messageId?: number; subscriptionId?: number } = {},
  ): Promise<number[]> {
    const list =
      typeof subscriptions === 'string' ? [{ topic: subscriptions, qos: 1 as QoS }] : subscriptions;
    const messageId = options.messageId ?? 1;
    await this.send({
      cmd: 'subscribe',
      messageId,
      subscriptions: [...list],
      ...(options.subscriptionId === undefined
        ? {}
        : { properties: { subscriptionIdentifier: options.subscriptionId } }),
    });
    const index = this.sink.packets.findIndex((p) => p.cmd === 'suback' && p.messageId === messageId);
    if (index < 0) throw new Error('no SUBACK');
    const [suback] = this.sink.packets.splice(index, 1);
    return suback?.cmd === 'suback' ? (suback.granted as number[]) : [];
  }

  take(): Packet[] {
    return this.sink.take();
  }

  /** PUBLISH packets written since the last take (other packets are discarded). */
  takePublishes(): PublishPacket[] {
    return ofType(this.take(), 'publish');
  }
}

export type ConnectOptions = Partial<Omit<ConnectPacket, 'cmd'>> & { readonly clientId: string };

/**
 * Creates a Channel with a recording sink, feeds it a CONNECT (v4 and clean by default) and awaits
 * the handler (`direct`: without the codec round trip). The CONNACK, if any, is taken out of the sink and returned.
 */
export async function connect(
  harness: Harness,
  packet: ConnectOptions,
  options: { direct?: boolean } = {},
): Promise<{ client: TestClient; connack: ConnackPacket | undefined }> {
  const version = (packet.protocolVersion ?? 4) as ProtocolVersion;
  const sink = new RecordingSink(version);
  const channel = new Channel(harness.broker, sink, { transport: 'tcp' });
  const client = new TestClient(harness, channel, sink, version);
  const full: ConnectPacket = {
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    clean: true,
    keepalive: 0,
    ...packet,
    protocolVersion: version,
  };
  await (options.direct === true ? client.handle(full) : client.send(full));
  const index = sink.packets.findIndex((p) => p.cmd === 'connack');
  const connack = index < 0 ? undefined : (sink.packets.splice(index, 1)[0] as ConnackPacket);
  return { client, connack };
}

/** Connects and asserts success; returns the client. */
export async function connected(harness: Harness, packet: ConnectOptions): Promise<TestClient> {
  const { client, connack } = await connect(harness, packet);
  const code = connack?.reasonCode ?? connack?.returnCode;
  if (code !== 0) throw new Error(`CONNECT ${packet.clientId} refused: ${String(code)}`);
  return client;
}

/** The packets of one type, typed. */
export function ofType<C extends Packet['cmd']>(
  packets: readonly Packet[],
  cmd: C,
): Extract<Packet, { cmd: C }>[] {
  return packets.filter((p): p is Extract<Packet, { cmd: C }> => p.cmd === cmd);
}

/** Payloads of PUBLISH packets as strings. */
export function payloadsOf(packets: readonly Packet[]): string[] {
  return ofType(packets, 'publish').map((p) => p.payload.toString());
}
