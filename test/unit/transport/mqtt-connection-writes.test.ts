import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { test } from 'node:test';
import { encodePacket } from '../../../src/mqtt/codec/encoder.js';
import { acceptMqttConnection } from '../../../src/mqtt/transport/mqtt-connection.js';
import type { TransportStream } from '../../../src/mqtt/transport/types.js';
import { createHarness } from '../../helpers/channel-harness.js';

/** A transport stream that records every call the connection makes on it, in order. */
class RecordingStream extends EventEmitter implements TransportStream {
  writableLength = 0;
  readonly calls: Array<{ op: 'write'; bytes: Buffer } | { op: 'cork' | 'uncork' | 'end' }> = [];

  pause(): void {}
  resume(): void {}
  cork(): void {
    this.calls.push({ op: 'cork' });
  }
  uncork(): void {
    this.calls.push({ op: 'uncork' });
  }
  write(chunk: Uint8Array): boolean {
    this.calls.push({ op: 'write', bytes: Buffer.from(chunk) });
    this.emit('wrote');
    return true;
  }
  end(): void {
    this.calls.push({ op: 'end' });
    process.nextTick(() => this.emit('close'));
  }
  destroy(): void {
    this.emit('close');
  }
}

const PINGRESP = Buffer.from([0xd0, 0x00]);

async function connected(t: { after(fn: () => unknown): void }): Promise<RecordingStream> {
  const h = createHarness();
  t.after(() => h.broker.close());
  const stream = new RecordingStream();
  acceptMqttConnection(h.broker, stream, { transport: 'tcp' });
  const wrote = once(stream, 'wrote');
  stream.emit(
    'data',
    encodePacket({ cmd: 'connect', clientId: 'w', protocolVersion: 4, clean: true, keepalive: 0 }, 4),
  );
  await wrote; // CONNACK
  stream.calls.length = 0;
  return stream;
}

test('packets answered in one tick leave in one write of their bytes, in order (no writev of tiny chunks)', async (t) => {
  const stream = await connected(t);
  const ping = encodePacket({ cmd: 'pingreq' }, 4);
  stream.emit('data', Buffer.concat([ping, ping, ping]));
  assert.equal(stream.calls.length, 0, 'nothing is written before the tick ends');
  await new Promise((resolve) => process.nextTick(resolve));
  assert.deepEqual(stream.calls, [{ op: 'write', bytes: Buffer.concat([PINGRESP, PINGRESP, PINGRESP]) }]);
  stream.emit('data', ping);
  await new Promise((resolve) => process.nextTick(resolve));
  assert.deepEqual(stream.calls.at(-1), { op: 'write', bytes: PINGRESP }, 'a lone answer is written as is');
});

test('an answer written in the tick the server ends the connection goes out before the end', async (t) => {
  const stream = await connected(t);
  const ping = encodePacket({ cmd: 'pingreq' }, 4);
  const secondConnect = encodePacket(
    { cmd: 'connect', clientId: 'w', protocolVersion: 4, clean: true, keepalive: 0 },
    4,
  );
  // [MQTT-3.1.0-2] a second CONNECT is a protocol violation: the server closes the connection.
  stream.emit('data', Buffer.concat([ping, secondConnect]));
  await new Promise((resolve) => setImmediate(resolve));
  const ops = stream.calls.map((c) => c.op);
  assert.deepEqual(ops, ['write', 'end']);
  assert.deepEqual(stream.calls[0], { op: 'write', bytes: PINGRESP });
});
