import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { type Authenticator, allowAll } from '../../../src/broker/auth.js';
import type { ClientAdapter } from '../../../src/broker/client-adapter.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { connect, connected, createHarness, ofType } from '../../helpers/channel-harness.js';

/** A pino logger writing into `lines` (one parsed object per log line). */
function capture(lines: Array<{ level: number; msg: string; err?: { stack?: string } }>) {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
}

/** Every client of user `faulty` gets `adapter`; anyone else is a plain client. */
function withAdapter(adapter: ClientAdapter): Authenticator {
  return {
    authenticate: (request) => ({
      ok: true,
      identity: { clientId: request.clientId },
      ...(request.username === 'faulty' ? { adapter } : {}),
    }),
  };
}

const routeAll: ClientAdapter = {
  onPublish: (topic) => ({ kind: 'route', topic }),
  onSubscribe: (filter, qos) => ({ filter, maxQos: qos }),
  toWireTopic: (topic) => topic,
};

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a failure while serving one connection closes that connection only', () => {
  test('an authenticator that rejects: v5 CONNACK 0x83, 3.1.1 return code 3; logged once at error with the stack', async (t) => {
    const lines: Array<{ level: number; msg: string; err?: { stack?: string } }> = [];
    const h = createHarness({
      authenticator: { authenticate: () => Promise.reject(new Error('user store down')) },
      logger: capture(lines),
    });
    t.after(() => h.broker.close());
    const v5 = await connect(h, { clientId: 'a', protocolVersion: 5 });
    assert.equal(v5.connack?.reasonCode, ReasonCode.ImplementationSpecificError);
    assert.equal(v5.connack?.properties, undefined, 'nothing about our failure goes to the client');
    assert.ok(v5.client.sink.ended);
    const v4 = await connect(h, { clientId: 'b', protocolVersion: 4 });
    assert.equal(v4.connack?.returnCode, 3);
    const errors = lines.filter((line) => line.level >= 50);
    assert.equal(errors.length, 2, 'one error line per connection');
    assert.match(errors[0]?.err?.stack ?? '', /user store down\n\s+at /);
    assert.deepEqual(h.metrics.connectionErrors, { protocol: 0, internal: 2 });
  });

  test('an adapter that throws in onConnected: DISCONNECT 0x83, the session is released', async (t) => {
    const adapter: ClientAdapter = {
      ...routeAll,
      onConnected: () => {
        throw new Error('adapter bug');
      },
    };
    const h = createHarness({ authenticator: withAdapter(adapter), authorizer: allowAll });
    t.after(() => h.broker.close());
    const { client } = await connect(h, { clientId: 'c', protocolVersion: 5, username: 'faulty' });
    const [disconnect] = ofType(client.take(), 'disconnect');
    assert.equal(disconnect?.reasonCode, ReasonCode.ImplementationSpecificError);
    assert.equal(h.broker.isConnected('c'), false);
    assert.deepEqual(h.metrics.connectionErrors, { protocol: 0, internal: 1 });
  });

  test('an adapter that throws in onDisconnected: the session is released all the same', async (t) => {
    const adapter: ClientAdapter = {
      ...routeAll,
      onDisconnected: () => {
        throw new Error('adapter bug');
      },
    };
    const h = createHarness({ authenticator: withAdapter(adapter), authorizer: allowAll });
    t.after(() => h.broker.close());
    const client = await connected(h, { clientId: 'd', protocolVersion: 5, username: 'faulty' });
    await client.send({ cmd: 'disconnect', reasonCode: 0 });
    assert.equal(h.broker.isConnected('d'), false);
    assert.deepEqual(h.metrics.connectionErrors, { protocol: 0, internal: 1 });
  });

  test('an async SUBSCRIBE mapping that rejects: DISCONNECT 0x83, no unhandled rejection', async (t) => {
    const adapter: ClientAdapter = {
      ...routeAll,
      onSubscribe: () => Promise.reject(new Error('lookup failed')),
    };
    const h = createHarness({ authenticator: withAdapter(adapter), authorizer: allowAll });
    t.after(() => h.broker.close());
    const client = await connected(h, { clientId: 'e', protocolVersion: 5, username: 'faulty' });
    await client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 1 }] });
    const [disconnect] = ofType(client.take(), 'disconnect');
    assert.equal(disconnect?.reasonCode, ReasonCode.ImplementationSpecificError);
    assert.ok(client.sink.ended);
  });

  test('a delivery whose topic mapping throws closes the receiver; the publisher gets its PUBACK', async (t) => {
    const adapter: ClientAdapter = {
      ...routeAll,
      toWireTopic: () => {
        throw new Error('mapping bug');
      },
    };
    const h = createHarness({ authenticator: withAdapter(adapter), authorizer: allowAll });
    t.after(() => h.broker.close());
    const receiver = await connected(h, { clientId: 'r', protocolVersion: 5, username: 'faulty' });
    await receiver.subscribe('t/#');
    const publisher = await connected(h, { clientId: 'p', protocolVersion: 5 });
    await publisher.publish('t/1', 'x', { qos: 1, messageId: 7 });
    assert.deepEqual(
      publisher.take().map((p) => p.cmd),
      ['puback'],
    );
    assert.equal(
      ofType(receiver.take(), 'disconnect')[0]?.reasonCode,
      ReasonCode.ImplementationSpecificError,
    );
    await flush(); // the receiver's release waits for the publisher's stack to unwind
    assert.equal(h.broker.isConnected('r'), false);
    assert.equal(h.broker.isConnected('p'), true);
  });
});
