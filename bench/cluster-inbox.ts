/**
 * Cluster inbox throughput on a throwaway local redis-server: N envelopes with a 1 KiB payload
 * appended by one node to another's inbox (sent `--per-turn` per event-loop turn, then one
 * flush), then read back by the receiver (`--read-batch` stream entries per XREAD); then both at
 * once. Sends of one turn to one node are one stream entry (up to 4,096). Reports envelopes/s.
 * Not part of `npm run bench`.
 *
 *   npx tsc -p tsconfig.json
 *   node dist/bench/cluster-inbox.js [--envelopes 100000] [--per-turn 1000] [--payload 1024]
 *     [--read-batch 512]
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { RedisNodeInbox } from '../src/cluster/redis/redis-node-inbox.js';
import type { ClusterEnvelope, InboxEntry } from '../src/cluster/types.js';
import { startRedisServer } from './brokers/redis-server.js';

const { values: args } = parseArgs({
  options: {
    envelopes: { type: 'string', default: '100000' },
    'per-turn': { type: 'string', default: '1000' },
    payload: { type: 'string', default: '1024' },
    'read-batch': { type: 'string', default: '512' },
  },
});
const total = Number(args.envelopes);
const perTurn = Number(args['per-turn']);
const logger = pino({ level: 'warn' });

function envelope(n: number): ClusterEnvelope {
  const payload = Buffer.alloc(Number(args.payload), 0x61);
  payload.writeUInt32BE(n, 0);
  return {
    type: 'publish',
    direct: true,
    message: {
      topic: `bench/${n % 100}`,
      payload,
      qos: 1,
      retain: false,
      properties: {},
      createdAt: Date.now(),
    },
  };
}

async function sendAll(from: RedisNodeInbox, to: string): Promise<void> {
  for (let sent = 0; sent < total; ) {
    for (const end = Math.min(total, sent + perTurn); sent < end; sent++) from.send(to, envelope(sent));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await from.flush();
}

function receiveAll(inbox: RedisNodeInbox): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    void inbox.start((batch: readonly InboxEntry[]) => {
      for (const entry of batch) {
        if (entry.envelope.type !== 'publish' || entry.envelope.message.payload.readUInt32BE(0) !== next++) {
          reject(new Error(`out of order at ${next - 1}`));
        }
      }
      if (next === total) resolve();
    });
  });
}

function rate(ms: number): string {
  return `${Math.round((total / ms) * 1000).toLocaleString('en')} envelopes/s (${total} in ${Math.round(ms)} ms)`;
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const url = redis.url;
  try {
    const a = new RedisNodeInbox({ url, nodeId: 'a', logger });
    const readBatch = Number(args['read-batch']);
    const b = new RedisNodeInbox({ url, nodeId: 'b', logger, readBatch });
    const c = new RedisNodeInbox({ url, nodeId: 'c', logger, readBatch });
    await Promise.all([a.ping(), b.ping(), c.ping()]);

    let started = performance.now();
    await sendAll(a, 'b');
    console.log(`append:  ${rate(performance.now() - started)}`);

    started = performance.now();
    await receiveAll(b);
    console.log(`read:    ${rate(performance.now() - started)}`);

    started = performance.now();
    await Promise.all([receiveAll(c), sendAll(a, 'c')]);
    console.log(`both:    ${rate(performance.now() - started)} appended and read concurrently`);
    await Promise.all([a.close(), b.close(), c.close()]);
  } finally {
    await redis.stop();
  }
}

await main();
