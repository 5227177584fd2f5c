import { PacketDecoder } from '../../src/mqtt/codec/decoder.js';
import { encodePacket } from '../../src/mqtt/codec/encoder.js';
import type { Packet } from '../../src/mqtt/codec/packet.js';

/**
 * Codec micro-benchmark: ns per PUBLISH (64-byte payload, 3.1.1) encoded and decoded, and per
 * PUBACK encoded. Single process, no sockets, so it is steady even on a busy machine.
 *   node dist/bench/tools/codec-micro.js [iterations=500000]
 */
const iterations = Number(process.argv[2] ?? 500_000);
const publish: Packet = {
  cmd: 'publish',
  topic: 'bench/p2p-q0/t',
  payload: Buffer.alloc(64, 1),
  qos: 1,
  messageId: 42,
  dup: false,
  retain: false,
};

function time(label: string, run: (n: number) => void): void {
  run(Math.min(iterations, 50_000)); // warm up the JIT
  const start = process.hrtime.bigint();
  run(iterations);
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  process.stdout.write(
    `${label.padEnd(34)} ${ns.toFixed(0).padStart(6)} ns/op  ${Math.round(1e9 / ns)
      .toLocaleString('en-US')
      .padStart(11)} op/s\n`,
  );
}

let sink = 0;
time('encode PUBLISH QoS 1, 64 B', (n) => {
  for (let i = 0; i < n; i++) sink += encodePacket(publish, 4).length;
});
time('encode PUBACK', (n) => {
  for (let i = 0; i < n; i++) sink += encodePacket({ cmd: 'puback', messageId: (i & 0xfff) + 1 }, 4).length;
});
const frame = encodePacket(publish, 4);
const batch = Buffer.concat(Array.from({ length: 100 }, () => frame));
time('decode PUBLISH QoS 1, 64 B', (n) => {
  const decoder = new PacketDecoder({ maxPacketSize: 1 << 20, protocolVersion: 4 });
  for (let i = 0; i < n; i += 100) sink += decoder.push(batch).length;
});
if (sink === 0) process.stdout.write('\n');
