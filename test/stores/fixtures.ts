import type { TestContext } from 'node:test';
import type { BrokerMessage } from '../../src/broker/message.js';
import type { EngineStores, PersistedOutbound, PersistedSession } from '../../src/broker/store-ports.js';

/**
 * What a backend runner hands the contract suites. `open` registers its own cleanup on `t`
 * (closing whatever stores are open last, removing files). `reopen`, for durable backends, closes
 * the current stores and opens the same storage again.
 */
export interface StoreHarness {
  readonly stores: EngineStores;
  readonly reopen?: () => Promise<EngineStores>;
}

export type OpenStores = (t: TestContext) => Promise<StoreHarness>;

/** Every byte value once: catches text encodings sneaking into the payload path. */
export const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** A message with every optional field set, including both shapes of user property. */
export function fullMessage(topic = 'sensors/a/temp', overrides: Partial<BrokerMessage> = {}): BrokerMessage {
  return {
    topic,
    payload: Buffer.from(allBytes),
    qos: 2,
    retain: true,
    properties: {
      payloadFormatIndicator: false,
      contentType: 'application/octet-stream',
      responseTopic: 'replies/é/🙂',
      correlationData: Buffer.from([0, 255, 1, 254, 0]),
      userProperties: { region: 'eu', tag: ['a', 'b', ''] },
    },
    expiresAt: 1_900_000_000_123,
    createdAt: 1_700_000_000_456,
    publisherId: 'publisher-1',
    ...overrides,
  };
}

/** A message with no optional field at all: they must come back absent, not undefined or null. */
export function bareMessage(topic = 'plain/topic', payload = Buffer.alloc(0)): BrokerMessage {
  return { topic, payload, qos: 1, retain: false, properties: {}, createdAt: 1_700_000_000_000 };
}

export function fullSession(clientId = 'client-full'): PersistedSession {
  return {
    clientId,
    protocolVersion: 5,
    expiryInterval: 0xffffffff,
    disconnectedAt: 1_700_000_100_000,
    subscriptions: [
      {
        filter: 'a/+/c',
        qos: 2,
        noLocal: true,
        retainAsPublished: true,
        retainHandling: 2,
        subscriptionId: 7,
      },
      { filter: '#', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    ],
    will: { dueAt: 1_700_000_200_000, message: fullMessage('wills/client-full') },
    identity: { clientId: 'client-full', username: 'alice', attributes: { kind: 'device', deviceId: 7 } },
  };
}

export function bareSession(clientId = 'client-bare', protocolVersion: 3 | 4 | 5 = 4): PersistedSession {
  return { clientId, protocolVersion, expiryInterval: 0, disconnectedAt: null, subscriptions: [] };
}

export function outbound(
  seq: number,
  state: PersistedOutbound['state'] = 'queued',
  packetId: number | null = null,
  message: BrokerMessage = bareMessage(`q/${seq}`, Buffer.from(`m${seq}`)),
): PersistedOutbound {
  return { seq, packetId, state, message };
}
