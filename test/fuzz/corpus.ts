/**
 * The seed corpus: whole, valid MQTT sessions (CONNECT first) for each login kind and protocol
 * version, encoded with mqtt-packet's `generate`. Mutations start from these.
 */
import {
  generate,
  type IConnectPacket,
  type IPublishPacket,
  type ISubscribePacket,
  type Packet,
  type QoS,
} from 'mqtt-packet';
import type { Prng } from './prng.js';

export type Version = 3 | 4 | 5;
export type LoginKind = 'anonymous' | 'device' | 'mgmt_device' | 'oauth';

/** Who a session logs in as, and which device tokens its topics may name. */
export interface Login {
  readonly kind: LoginKind;
  readonly username?: string;
  readonly password?: string;
  /** Tokens usable in gateway topics `dev/{token}/…`. */
  readonly deviceTokens: readonly string[];
}

/** A session before mutation: encoded packets in order, plus what they were built from. */
export interface Session {
  readonly version: Version;
  readonly login: Login;
  packets: Buffer[];
}

const CLIENT_ID_POOL = 200;
const DEVICE_UPLINKS: ReadonlyArray<readonly [string, string]> = [
  ['ds/Temperature', '21.5'],
  ['ds/Power', '1'],
  ['ds/Message', 'hello\u0000world'],
  ['ds/Location', '24.03\u000049.84'],
  ['ds/Mode', '7'],
  ['ds/Unknown Stream', 'x'],
  ['ds/Temperature/prop/label', 'Kitchen'],
  ['ds/Temperature/erase', ''],
  ['ds/Temperature/timestamped_batch', '[[1700000000000,20.5],[1700000001000,"x"]]'],
  ['batch_ds', '{"Temperature":22,"Power":1,"Message":"hi","Location":[24.03,49.84],"Online":true}'],
  ['batch_ds', '{"Temperature":'],
  ['get/ds', 'Power,Set Temperature,Temperature'],
  ['get/ds/all', ''],
  ['get/meta', 'Serial Number'],
  ['get/utc/all/json', ''],
  ['get/loc/all', ''],
  [
    'info/mcu',
    '{"tmpl":"TMPL12345678","ver":"1.2.3","build":"Mar 19 2026 22:57:31","type":"TMPL12345678","rxbuff":1024}',
  ],
  ['info/mcu', '{"rxbuff":16}'],
  ['event/overheat', 'too hot'],
  ['event/door_open', ''],
  ['event/no_such_event', 'x'],
  ['meta/Serial Number', 'SN-1'],
];
const DEVICE_FILTERS = ['downlink/#', 'downlink/ds/#', 'downlink/meta/#', 'downlink/ds/Power', 'ds/#', '#'];
const BROKER_TOPICS = ['fuzz/a', 'fuzz/b/c', 'fuzz/a/b/c/d', '$SYS/x', 'fuzz/ä/ü', ''];
const BROKER_FILTERS = ['fuzz/#', 'fuzz/+/c', '#', '+', 'fuzz/a', '$share/g/fuzz/#', '$SYS/#', 'a/#/b'];

function gatewayTopic(prng: Prng, login: Login): string {
  const token = prng.chance(0.9) ? prng.pick(login.deviceTokens) : 'x'.repeat(32);
  const [topic] = prng.pick(DEVICE_UPLINKS);
  return `dev/${token}/${topic}`;
}

function uplinkTopic(prng: Prng, login: Login): [string, string] {
  const [topic, payload] = prng.pick(DEVICE_UPLINKS);
  switch (login.kind) {
    case 'anonymous':
      return [prng.pick(BROKER_TOPICS), payload];
    case 'device':
      return [topic, payload];
    case 'mgmt_device':
      return prng.chance(0.5) ? [gatewayTopic(prng, login), payload] : [topic, payload];
    case 'oauth':
      return prng.chance(0.9) ? [gatewayTopic(prng, login), payload] : [topic, payload];
  }
}

function subscribeFilter(prng: Prng, login: Login): string {
  if (login.kind === 'anonymous') return prng.pick(BROKER_FILTERS);
  if (login.kind === 'device' || prng.chance(0.2)) return prng.pick(DEVICE_FILTERS);
  const token = prng.pick(login.deviceTokens);
  return prng.pick([`dev/${token}/downlink/#`, `dev/${token}/downlink/ds/#`, 'dev/+/downlink/#', 'dev/#']);
}

/** Rarely a long topic or payload, to reach size limits and long-string paths. */
function sized(prng: Prng, text: string): string {
  if (!prng.chance(0.01)) return text;
  return text + 'x'.repeat(prng.pick([300, 1100, 5000, 65_000]));
}

function userProperties(prng: Prng): Record<string, string | string[]> | undefined {
  return prng.chance(0.2) ? { k: prng.chance(0.5) ? 'v' : ['a', 'b'], ключ: 'значення' } : undefined;
}

export function connectPacket(prng: Prng, version: Version, login: Login): IConnectPacket {
  const packet: IConnectPacket = {
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clean: prng.chance(0.8),
    keepalive: prng.pick([0, 1, 10, 60, 65_535]),
    // A bounded pool: kept sessions (clean=false) stay bounded, and ids collide (session takeover).
    clientId: prng.chance(0.1) ? '' : `fz${prng.below(CLIENT_ID_POOL)}`,
  };
  if (login.username !== undefined) packet.username = login.username;
  if (login.password !== undefined) packet.password = Buffer.from(login.password);
  if (prng.chance(0.15)) {
    const [topic] = uplinkTopic(prng, login);
    packet.will = { topic, payload: 'gone', qos: prng.pick([0, 1, 2] as const), retain: prng.chance(0.3) };
  }
  if (version === 5 && prng.chance(0.6)) {
    const properties: NonNullable<IConnectPacket['properties']> = {};
    if (prng.chance(0.5)) properties.sessionExpiryInterval = prng.pick([0, 10, 0xffffffff]);
    if (prng.chance(0.4)) properties.receiveMaximum = prng.pick([1, 2, 65_535]);
    if (prng.chance(0.4)) properties.maximumPacketSize = prng.pick([20, 128, 1024, 268_435_455]);
    if (prng.chance(0.4)) properties.topicAliasMaximum = prng.pick([0, 1, 10]);
    if (prng.chance(0.2)) properties.requestResponseInformation = true;
    if (prng.chance(0.2)) properties.requestProblemInformation = prng.chance(0.5);
    if (prng.chance(0.05)) properties.authenticationMethod = 'SCRAM-SHA-1';
    const user = userProperties(prng);
    if (user !== undefined) properties.userProperties = user;
    packet.properties = properties;
  }
  return packet;
}

function publishPacket(prng: Prng, version: Version, login: Login, messageId: number): IPublishPacket {
  const [topic, payload] = uplinkTopic(prng, login);
  const qos = prng.weighted<QoS>([
    [5, 0],
    [3, 1],
    [2, 2],
  ]);
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: sized(prng, topic),
    payload: sized(prng, payload),
    qos,
    dup: qos > 0 && prng.chance(0.1),
    retain: prng.chance(0.1),
  };
  if (qos > 0) packet.messageId = messageId;
  if (version === 5 && prng.chance(0.4)) {
    const properties: NonNullable<IPublishPacket['properties']> = {};
    if (prng.chance(0.3)) {
      properties.topicAlias = prng.between(1, 3);
      // An empty topic uses an alias set earlier on this connection, or one never set [MQTT-3.3.2-8].
      if (prng.chance(0.4)) packet.topic = '';
    }
    if (prng.chance(0.3)) properties.messageExpiryInterval = prng.pick([0, 1, 3600]);
    if (prng.chance(0.2)) properties.payloadFormatIndicator = true;
    if (prng.chance(0.2)) properties.contentType = 'text/plain';
    if (prng.chance(0.2)) properties.responseTopic = 'fuzz/reply';
    if (prng.chance(0.2)) properties.correlationData = prng.bytes(4);
    const user = userProperties(prng);
    if (user !== undefined) properties.userProperties = user;
    packet.properties = properties;
  }
  return packet;
}

function subscribePacket(prng: Prng, version: Version, login: Login, messageId: number): ISubscribePacket {
  return {
    cmd: 'subscribe',
    messageId,
    subscriptions: Array.from({ length: prng.between(1, 3) }, () => ({
      topic: sized(prng, subscribeFilter(prng, login)),
      qos: prng.pick([0, 1, 2] as const),
      ...(version === 5 ? { nl: prng.chance(0.3), rap: prng.chance(0.3), rh: prng.between(0, 2) } : {}),
    })),
    ...(version === 5 && prng.chance(0.2)
      ? { properties: { subscriptionIdentifier: prng.between(1, 9) } }
      : {}),
  };
}

/** One packet after CONNECT; `ids` are the QoS 2 publishes waiting for PUBREL. */
function sessionPacket(prng: Prng, version: Version, login: Login, nextId: number, ids: number[]): Packet {
  const messageId = prng.chance(0.7) && ids.length > 0 ? prng.pick(ids) : prng.between(1, 5);
  switch (
    prng.weighted<string>([
      [10, 'publish'],
      [4, 'subscribe'],
      [2, 'unsubscribe'],
      [2, 'pingreq'],
      [3, 'ack'],
      [version === 5 ? 1 : 0, 'auth'],
    ])
  ) {
    case 'publish': {
      const packet = publishPacket(prng, version, login, nextId);
      if (packet.qos === 2) ids.push(nextId);
      return packet;
    }
    case 'subscribe':
      return subscribePacket(prng, version, login, nextId);
    case 'unsubscribe':
      return { cmd: 'unsubscribe', messageId: nextId, unsubscriptions: [subscribeFilter(prng, login)] };
    case 'pingreq':
      return { cmd: 'pingreq' };
    case 'auth':
      return {
        cmd: 'auth',
        reasonCode: prng.pick([0x00, 0x18, 0x19]),
        properties: { authenticationMethod: 'SCRAM-SHA-1' },
      };
    default: {
      const cmd = prng.pick(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const);
      return {
        cmd,
        messageId,
        ...(version === 5 && prng.chance(0.3) ? { reasonCode: prng.pick([0, 0x10, 0x80, 0x92]) } : {}),
      };
    }
  }
}

function disconnectPacket(prng: Prng, version: Version): Packet {
  if (version !== 5) return { cmd: 'disconnect' };
  return {
    cmd: 'disconnect',
    reasonCode: prng.pick([0x00, 0x04, 0x80]),
    ...(prng.chance(0.3) ? { properties: { sessionExpiryInterval: prng.pick([0, 60]) } } : {}),
  };
}

/** Encodes `packet`, or undefined when mqtt-packet refuses it (the corpus only holds valid bytes). */
export function encode(packet: Packet, version: Version): Buffer | undefined {
  try {
    return generate(packet, { protocolVersion: version });
  } catch {
    return undefined;
  }
}

/** A valid session: CONNECT, 2–14 packets, then DISCONNECT most of the time. */
export function buildSession(prng: Prng, version: Version, login: Login): Session {
  const packets: Buffer[] = [];
  const add = (packet: Packet): void => {
    const bytes = encode(packet, version);
    if (bytes !== undefined) packets.push(bytes);
  };
  add(connectPacket(prng, version, login));
  const qos2Ids: number[] = [];
  const count = prng.between(2, 14);
  for (let i = 0; i < count; i += 1) add(sessionPacket(prng, version, login, i + 1, qos2Ids));
  if (prng.chance(0.7)) add(disconnectPacket(prng, version));
  return { version, login, packets };
}
