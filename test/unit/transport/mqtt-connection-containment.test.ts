import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import { acceptMqttConnection } from '../../../src/mqtt/transport/mqtt-connection.js';
import type { TransportStream } from '../../../src/mqtt/transport/types.js';
import { createHarness } from '../../helpers/channel-harness.js';

/** A transport stream whose `pause` fails: a fault of the transport, not of the client. */
class FaultyStream extends EventEmitter implements TransportStream {
  writableLength = 0;
  readonly written: Buffer[] = [];
  ended = false;
  destroyed = false;

  pause(): never {
    throw new Error('pause failed');
  }
  resume(): void {}
  cork(): void {}
  uncork(): void {}
  write(chunk: Uint8Array): boolean {
    this.written.push(Buffer.from(chunk));
    return true;
  }
  end(): void {
    this.ended = true;
    process.nextTick(() => this.emit('close')); // the peer closes its side too
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

test('a throw inside the connection shell closes that connection; it never leaves the data listener', async (t) => {
  const h = createHarness({ limits: { maxPendingPackets: 1 } });
  t.after(() => h.broker.close());
  const stream = new FaultyStream();
  acceptMqttConnection(h.broker, stream, { transport: 'tcp' });
  const connect = encodePacket(
    { cmd: 'connect', clientId: 'x', protocolVersion: 4, clean: true, keepalive: 0 },
    4,
  );
  const ping = encodePacket({ cmd: 'pingreq' }, 4);
  // CONNECT's handler is asynchronous, so the PINGREQ waits: at the limit, reading pauses, and pause throws.
  assert.doesNotThrow(() => stream.emit('data', Buffer.concat([connect, ping])));
  assert.ok(stream.ended || stream.destroyed, 'the connection is closed');
  assert.equal(h.metrics.connectionErrors.internal, 1);
  // 3.1.1 CONNACK "server unavailable" (3): the client learns nothing of the fault itself.
  assert.deepEqual(stream.written.at(-1), Buffer.from([0x20, 0x02, 0x00, 0x03]));
});
