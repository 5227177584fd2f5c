import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { type AuthResult, allowAll } from '../../../src/broker/auth.js';
import { PacketDecoder } from '../../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import type { Packet } from '../../../src/mqtt/codec/packet.js';
import { acceptMqttConnection } from '../../../src/mqtt/transport/mqtt-connection.js';
import type { TransportStream } from '../../../src/mqtt/transport/types.js';
import { createHarness } from '../../helpers/channel-harness.js';

/** A stream without a socket: records pause/resume and decodes what the server writes. */
class FakeStream extends EventEmitter implements TransportStream {
  readonly writableLength = 0;
  readonly written: Packet[] = [];
  readonly flow: ('pause' | 'resume')[] = [];
  readonly #decoder = new PacketDecoder({ maxPacketSize: 1024 * 1024, protocolVersion: 4 });

  pause(): this {
    this.flow.push('pause');
    return this;
  }

  resume(): this {
    this.flow.push('resume');
    return this;
  }

  cork(): void {}
  uncork(): void {}

  write(chunk: Uint8Array): boolean {
    this.written.push(...this.#decoder.push(Buffer.from(chunk)));
    return true;
  }

  /** The peer closes at once (the broker's close waits for the 'close' event). */
  end(): this {
    process.nextTick(() => this.emit('close'));
    return this;
  }

  destroy(): this {
    this.emit('close');
    return this;
  }
}

/** An authenticator whose answer waits for `admit()`: CONNECT holds every packet behind it. */
function gatedAuthenticator() {
  let admit: (() => void) | undefined;
  return {
    authenticator: {
      authenticate: (request: Parameters<typeof allowAll.authenticate>[0]) =>
        new Promise<AuthResult>((resolve) => {
          admit = () => resolve(allowAll.authenticate(request) as AuthResult);
        }),
    },
    admit: () => admit?.(),
  };
}

/** Lets pending callbacks run until `done()` holds (each turn runs the next step of the handlers). */
async function turnsUntil(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
}

const connectBytes = encodePacket(
  { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'burst', keepalive: 0 },
  4,
);

function publishes(count: number): Buffer {
  const packets = Array.from({ length: count }, (_, i) =>
    encodePacket(
      {
        cmd: 'publish',
        topic: 'burst/t',
        payload: Buffer.from(`m${i + 1}`),
        qos: 1,
        retain: false,
        dup: false,
        messageId: i + 1,
      },
      4,
    ),
  );
  return Buffer.concat(packets);
}

describe('MqttConnection pending packets: an O(1) FIFO bounded by maxPendingPackets (unit)', () => {
  test('limits.maxPendingPackets: reading pauses while too many packets wait, resumes once they are handled, order kept', async (t) => {
    const gate = gatedAuthenticator();
    const h = createHarness({ authenticator: gate.authenticator, limits: { maxPendingPackets: 100 } });
    t.after(() => h.broker.close());
    const stream = new FakeStream();
    acceptMqttConnection(h.broker, stream, { transport: 'tcp' });
    stream.emit('data', Buffer.concat([connectBytes, publishes(2_500)]));
    assert.deepEqual(stream.flow, ['pause'], '2,500 packets wait behind CONNECT: reading paused');
    assert.equal(stream.written.length, 0);

    gate.admit();
    await turnsUntil(() => stream.written.length > 2_500);
    assert.deepEqual(stream.flow, ['pause', 'resume']);
    const [connack, ...acks] = stream.written;
    assert.equal(connack?.cmd, 'connack');
    assert.equal(acks.length, 2_500);
    acks.forEach((ack, i) => {
      if (ack.cmd !== 'puback' || ack.messageId !== i + 1)
        assert.fail(`ack ${i + 1}: ${JSON.stringify(ack)}`);
    });
  });

  test('a stream closed while packets wait drops them: nothing is handled after close', async (t) => {
    const gate = gatedAuthenticator();
    const h = createHarness({ authenticator: gate.authenticator });
    t.after(() => h.broker.close());
    const stream = new FakeStream();
    acceptMqttConnection(h.broker, stream, { transport: 'tcp' });
    stream.emit('data', Buffer.concat([connectBytes, publishes(50)]));
    stream.emit('close');
    gate.admit();
    await turnsUntil(() => false); // every step the handlers could still take
    assert.deepEqual(
      stream.written.filter((p) => p.cmd === 'puback'),
      [],
    );
    assert.equal(h.metrics.packetsReceived.publish, 0);
  });
});
