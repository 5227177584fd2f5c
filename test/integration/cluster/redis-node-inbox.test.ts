import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, type TestContext, test } from 'node:test';
import { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { encodeEnvelope } from '../../../src/cluster/envelope-codec.js';
import { encodeEnvelopeBatch, splitEnvelopeBatch } from '../../../src/cluster/redis/inbox-batch.js';
import { inboxKey, inboxPositionKey } from '../../../src/cluster/redis/inbox-keys.js';
import {
  InboxError,
  RedisNodeInbox,
  type RedisNodeInboxOptions,
} from '../../../src/cluster/redis/redis-node-inbox.js';
import type { ClusterEnvelope, InboxEntry } from '../../../src/cluster/types.js';
import { redisTestOptions, startRedis } from '../../helpers/redis.js';
import { quietPeriod, stopwatch, within } from '../../helpers/wait.js';

const LONG_WAIT_MS = 20_000;

/** A pino logger whose records the test can read and await. */
function capturingLogger(): {
  logger: Logger;
  records: Array<{ msg: string; level: number }>;
  until(msg: string): Promise<void>;
} {
  const records: Array<{ msg: string; level: number }> = [];
  const events = new EventEmitter();
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        const record = JSON.parse(line) as { msg: string; level: number };
        records.push(record);
        events.emit(record.msg);
      },
    },
  );
  return {
    logger,
    records,
    until: (msg) =>
      records.some((r) => r.msg === msg)
        ? Promise.resolve()
        : within(
            new Promise<void>((resolve) => events.once(msg, () => resolve())),
            LONG_WAIT_MS,
            `log "${msg}"`,
          ),
  };
}

function openInbox(
  t: TestContext,
  url: string,
  nodeId: string,
  extra: Partial<RedisNodeInboxOptions> = {},
): RedisNodeInbox {
  const inbox = new RedisNodeInbox({ url, nodeId, logger: pino({ level: 'silent' }), ...extra });
  t.after(() => inbox.close());
  return inbox;
}

function admin(t: TestContext, url: string): Redis {
  const redis = new Redis(url);
  t.after(() => redis.disconnect());
  return redis;
}

/** A publish envelope numbered `n` (in topic and payload) so order and completeness can be checked. */
function numbered(n: number, payloadBytes = 16): ClusterEnvelope {
  const payload = Buffer.alloc(payloadBytes, 0x5a);
  payload.writeUInt32BE(n, 0);
  return {
    type: 'publish',
    direct: true,
    message: { topic: `seq/${n}`, payload, qos: 1, retain: false, properties: {}, createdAt: Date.now() },
  };
}

function numberOf(entry: InboxEntry): number {
  assert.ok(entry.envelope.type === 'publish');
  return entry.envelope.message.payload.readUInt32BE(0);
}

/** Collects what a handler receives; `until(n)` resolves once n entries arrived. */
function collector(): {
  entries: InboxEntry[];
  handler: (batch: readonly InboxEntry[]) => void;
  until(n: number): Promise<void>;
} {
  const entries: InboxEntry[] = [];
  const arrived = new EventEmitter();
  return {
    entries,
    handler(batch) {
      entries.push(...batch);
      arrived.emit('batch');
    },
    until(n) {
      return within(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (entries.length < n) return;
            arrived.off('batch', check);
            resolve();
          };
          arrived.on('batch', check);
          check();
        }),
        LONG_WAIT_MS,
        `${n} inbox entries (have ${entries.length})`,
      );
    },
  };
}

/** How many envelopes each entry of a stream holds, in stream order (one for the one-envelope form). */
async function envelopesPerEntry(redis: Redis, key: string): Promise<number[]> {
  const items = await redis.xrangeBuffer(key, '-', '+');
  return items.map(([, fields]) => {
    const names = fields.filter((_, i) => i % 2 === 0).map(String);
    const batch = fields[names.indexOf('batch') * 2 + 1];
    if (names.includes('envelope')) return 1;
    assert.ok(batch !== undefined, `entry with fields ${names.join(', ')}`);
    const split = splitEnvelopeBatch(batch);
    assert.equal(split.error, undefined);
    return split.envelopes.length;
  });
}

/**
 * Pings until Redis answers: a ping waits for the connection at most 2 s (ending early on its
 * reconnection), so a reconnection slower than that is asked again, up to LONG_WAIT_MS in all.
 */
async function pingUntilAnswered(inbox: RedisNodeInbox): Promise<void> {
  const deadline = Date.now() + LONG_WAIT_MS;
  for (;;) {
    try {
      return await inbox.ping();
    } catch (error) {
      const unreachable = error instanceof InboxError && error.code === 'unreachable';
      if (!unreachable || Date.now() >= deadline) throw error;
    }
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

async function redisStat(redis: Redis, section: string, name: string): Promise<number> {
  const info = await redis.info(section);
  const line = info.split('\r\n').find((l) => l.startsWith(`${name}:`));
  assert.ok(line !== undefined, `INFO ${section} has no ${name}`);
  const value = line.slice(name.length + 1);
  return Number(/calls=(\d+)/.exec(value)?.[1] ?? value);
}

describe('RedisNodeInbox against a real redis-server', redisTestOptions(), () => {
  test('order and completeness: 10,000 envelopes each way between two nodes arrive once, in send order', async (t) => {
    const redis = await startRedis(t);
    const a = openInbox(t, redis.url, 'node-a');
    const b = openInbox(t, redis.url, 'node-b');
    const atA = collector();
    const atB = collector();
    await a.start(atA.handler);
    await b.start(atB.handler);
    for (let turn = 0; turn < 10; turn++) {
      for (const n of range(turn * 1000, turn * 1000 + 1000)) {
        a.send('node-b', numbered(n));
        b.send('node-a', numbered(n));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([a.flush(), b.flush()]);
    await Promise.all([atA.until(10_000), atB.until(10_000)]);
    assert.deepEqual(atB.entries.map(numberOf), range(0, 10_000));
    assert.deepEqual(atA.entries.map(numberOf), range(0, 10_000));
    assert.ok(atB.entries.every((e) => e.from === 'node-a') && atA.entries.every((e) => e.from === 'node-b'));
    assert.equal(a.stats.sent, 10_000);
    assert.equal(b.stats.received, 10_000);
  });

  test('pipelining: 50 sends in one event-loop turn reach Redis in one round trip (one read event, one XADD)', async (t) => {
    const redis = await startRedis(t);
    const a = openInbox(t, redis.url, 'node-a');
    const probe = admin(t, redis.url);
    await a.ping();
    const readsBefore = await redisStat(probe, 'stats', 'total_reads_processed');
    for (const n of range(0, 50)) a.send('node-b', numbered(n));
    await a.flush();
    const readsAfter = await redisStat(probe, 'stats', 'total_reads_processed');
    // One read for the pipeline, one for the second INFO itself; 50 round trips would be 51.
    assert.ok(readsAfter - readsBefore <= 3, `redis processed ${readsAfter - readsBefore} reads`);
    assert.equal(await redisStat(probe, 'commandstats', 'cmdstat_xadd'), 1);
    assert.deepEqual(await envelopesPerEntry(probe, inboxKey('devgate', 'node-b')), [50]);
  });

  test('flush is a barrier: when it resolves every earlier send is in the stream, not before', async (t) => {
    const redis = await startRedis(t);
    const a = openInbox(t, redis.url, 'node-a');
    const probe = admin(t, redis.url);
    await a.flush(); // nothing pending: resolves at once
    for (const n of range(0, 3000)) {
      // Between chunks the writer appends what it has (pipelines in flight while more is sent).
      if (n > 0 && n % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
      a.send('node-b', numbered(n));
    }
    // No turn since the last chunk was sent: Redis cannot have confirmed it yet (a yield after it
    // let a fast Redis confirm everything before this check).
    assert.ok(a.stats.pending >= 500, `sends are queued, not appended synchronously (${a.stats.pending})`);
    await a.flush();
    assert.equal(a.stats.pending, 0);
    assert.equal(sum(await envelopesPerEntry(probe, inboxKey('devgate', 'node-b'))), 3000);
    assert.equal(a.stats.sent, 3000);
  });

  test('restart of the reading node: an acknowledged batch is not read again, one whose handler never resolved is', async (t) => {
    const redis = await startRedis(t);
    const a = openInbox(t, redis.url, 'node-a');
    const first = new RedisNodeInbox({
      url: redis.url,
      nodeId: 'node-b',
      readBatch: 10,
      logger: pino({ level: 'silent' }),
    });
    t.after(() => first.close());
    const seen: number[] = [];
    let firstBatchCalled: () => void = () => undefined;
    const firstBatch = new Promise<void>((resolve) => (firstBatchCalled = resolve));
    let secondBatchCalled: () => void = () => undefined;
    const secondBatch = new Promise<void>((resolve) => (secondBatchCalled = resolve));
    await first.start((batch) => {
      seen.push(...batch.map(numberOf));
      if (seen.length < 10) return;
      if (seen.length === 10) return firstBatchCalled(); // the first batch is acknowledged
      secondBatchCalled();
      return new Promise<void>(() => undefined); // never resolves: the node "dies" mid-batch
    });
    for (const n of range(0, 10)) a.send('node-b', numbered(n));
    await a.flush();
    await within(firstBatch, LONG_WAIT_MS, 'first batch');
    for (const n of range(10, 20)) a.send('node-b', numbered(n));
    await a.flush();
    await within(secondBatch, LONG_WAIT_MS, 'second batch');
    await first.close();

    const restarted = openInbox(t, redis.url, 'node-b', { readBatch: 10 });
    const after = collector();
    await restarted.start(after.handler);
    await after.until(10);
    await quietPeriod();
    assert.deepEqual(after.entries.map(numberOf), range(10, 20));
  });

  test('acknowledgement: the position reaches Redis with the next read, and consumed entries are trimmed (the stream stays bounded)', async (t) => {
    const redis = await startRedis(t);
    const a = openInbox(t, redis.url, 'node-a');
    const b = openInbox(t, redis.url, 'node-b', { readBatch: 10 });
    const got = collector();
    await b.start(got.handler);
    // One stream entry per send: each flush waits for its XADD before the next send.
    for (const n of range(0, 1000)) {
      a.send('node-b', numbered(n));
      await a.flush();
    }
    await got.until(1000);
    assert.deepEqual(got.entries.map(numberOf), range(0, 1000));
    const r = admin(t, redis.url);
    const [last] = (await r.xrevrange(inboxKey('devgate', 'node-b'), '+', '-', 'COUNT', 1)).map(([id]) => id);
    const deadline = Date.now() + LONG_WAIT_MS;
    while ((await r.get(inboxPositionKey('devgate', 'node-b'))) !== last && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(await r.get(inboxPositionKey('devgate', 'node-b')), last, 'the last batch is acknowledged');
    const length = await r.xlen(inboxKey('devgate', 'node-b'));
    assert.ok(length < 500, `${length} of 1,000 consumed entries still in the stream`);
  });

  test('Redis killed and restarted mid-send: flushed sends were read, sends during the outage arrive after start()', async (t) => {
    const redis = await startRedis(t);
    const a = openInbox(t, redis.url, 'node-a');
    const b = openInbox(t, redis.url, 'node-b');
    const atB = collector();
    await b.start(atB.handler);
    for (const n of range(0, 100)) a.send('node-b', numbered(n));
    await a.flush();
    await atB.until(100);

    await redis.kill();
    for (const n of range(100, 200)) a.send('node-b', numbered(n));
    let flushed = false;
    const flush = a.flush().then(() => (flushed = true));
    await quietPeriod(500);
    assert.equal(flushed, false, 'flush waits while Redis is away');
    assert.equal(a.stats.pending, 100);

    await redis.start();
    await within(flush, LONG_WAIT_MS, 'flush after Redis came back');
    await atB.until(200);
    await quietPeriod();
    assert.deepEqual(atB.entries.map(numberOf), range(0, 200));
  });

  test('overflow: beyond maxPending sends are dropped, counted and logged once, and the next flush rejects', async (t) => {
    const redis = await startRedis(t);
    const log = capturingLogger();
    const a = openInbox(t, redis.url, 'node-a', { maxPending: 10, logger: log.logger });
    const probe = admin(t, redis.url);
    for (const n of range(0, 25)) a.send('node-b', numbered(n));
    assert.deepEqual({ dropped: a.stats.dropped, pending: a.stats.pending }, { dropped: 15, pending: 10 });
    await assert.rejects(a.flush(), (error) => error instanceof InboxError && error.code === 'overflow');
    await a.flush(); // the loss was reported once; the ten kept are appended
    assert.equal(sum(await envelopesPerEntry(probe, inboxKey('devgate', 'node-b'))), 10);
    const overflowLogs = log.records.filter(
      (r) => r.msg === 'cluster inbox: sends dropped, too many waiting to be appended',
    );
    assert.equal(overflowLogs.length, 1);
    await log.until('cluster inbox: accepting sends again');
  });

  test('a garbled entry is logged and skipped; the entries after it are read', async (t) => {
    const redis = await startRedis(t);
    const log = capturingLogger();
    const probe = admin(t, redis.url);
    await probe.xadd(
      inboxKey('devgate', 'node-b'),
      '*',
      'from',
      'intruder',
      'envelope',
      Buffer.from([1, 0, 0, 0, 9, 0x7b]),
    );
    await probe.xadd(inboxKey('devgate', 'node-b'), '*', 'from', 'intruder');
    await probe.xadd(inboxKey('devgate', 'node-b'), '*', 'something', 'else', 'entirely', 'x');
    const a = openInbox(t, redis.url, 'node-a');
    a.send('node-b', numbered(1));
    await a.flush();
    const b = openInbox(t, redis.url, 'node-b', { logger: log.logger });
    const atB = collector();
    await b.start(atB.handler);
    await atB.until(1);
    assert.deepEqual(atB.entries.map(numberOf), [1]);
    assert.equal(log.records.filter((r) => r.msg === 'cluster inbox: garbled entry skipped').length, 3);
  });

  test('a handler that throws is logged, its batch skipped, and the inbox goes on', async (t) => {
    const redis = await startRedis(t);
    const log = capturingLogger();
    const a = openInbox(t, redis.url, 'node-a');
    const b = openInbox(t, redis.url, 'node-b', { logger: log.logger });
    const atB = collector();
    let calls = 0;
    await b.start((batch) => {
      if (++calls === 1) throw new Error('handler bug');
      atB.handler(batch);
    });
    a.send('node-b', numbered(1));
    await a.flush();
    await log.until('cluster inbox: handler failed; batch skipped');
    a.send('node-b', numbered(2));
    await a.flush();
    await atB.until(1);
    assert.deepEqual(atB.entries.map(numberOf), [2]);
  });

  test('drain hands a dead node its inbox from the stored position to the end, then deletes inbox and position', async (t) => {
    const redis = await startRedis(t);
    const probe = admin(t, redis.url);
    const a = openInbox(t, redis.url, 'node-a', { prefix: 'dg' });
    for (const n of range(0, 5)) {
      a.send('node-dead', numbered(n));
      await a.flush(); // one entry each
    }
    for (const n of range(5, 1200)) a.send('node-dead', numbered(n));
    await a.flush();
    // The dead node had handled the first 5 entries.
    const handled = await probe.xrange('dg:inbox:node-dead', '-', '+', 'COUNT', 5);
    await probe.set('dg:inbox-pos:node-dead', handled[4]?.[0] as string);

    const survivor = openInbox(t, redis.url, 'node-b', { prefix: 'dg', readBatch: 100 });
    const drained = collector();
    const count = await survivor.drain('node-dead', drained.handler);
    assert.equal(count, 1195);
    assert.deepEqual(drained.entries.map(numberOf), range(5, 1200));
    assert.equal(await probe.exists('dg:inbox:node-dead', 'dg:inbox-pos:node-dead'), 0);
    assert.equal(await survivor.drain('node-dead', drained.handler), 0, 'draining nothing is not an error');
  });

  test('Redis loss never stops the process: errors are handled and logged, ping says why within 2 s, all resumes', async (t) => {
    const redis = await startRedis(t);
    const log = capturingLogger();
    const a = openInbox(t, redis.url, 'node-a', { logger: log.logger });
    const atA = collector();
    await a.start(atA.handler);
    await a.ping();
    await redis.kill();
    await log.until('redis unreachable; reconnecting');
    const elapsed = stopwatch();
    await assert.rejects(
      a.ping(),
      (error) =>
        error instanceof InboxError &&
        error.code === 'unreachable' &&
        /redis unreachable/.test(error.message),
    );
    assert.ok(elapsed() < 2500, `ping answered after ${elapsed()} ms`);
    a.send('node-a', numbered(7));
    await redis.start();
    // Each ping waits for the reconnection (at most 2 s): asked again until Redis answers.
    await pingUntilAnswered(a);
    await a.flush();
    await atA.until(1);
    assert.deepEqual(atA.entries.map(numberOf), [7]);
  });

  test('an envelope Redis refuses (key of the wrong type) is dropped and reported, and does not stall the others', async (t) => {
    const redis = await startRedis(t);
    const log = capturingLogger();
    const probe = admin(t, redis.url);
    await probe.set('devgate:inbox:node-broken', 'not a stream');
    const a = openInbox(t, redis.url, 'node-a', { logger: log.logger });
    a.send('node-b', numbered(1));
    a.send('node-broken', numbered(2));
    a.send('node-b', numbered(3));
    await assert.rejects(a.flush(), (error) => error instanceof InboxError && error.code === 'refused');
    assert.deepEqual(
      {
        sent: a.stats.sent,
        dropped: a.stats.dropped,
        appendErrors: a.stats.appendErrors,
        pending: a.stats.pending,
      },
      { sent: 2, dropped: 1, appendErrors: 1, pending: 0 },
    );
    assert.deepEqual(await envelopesPerEntry(probe, inboxKey('devgate', 'node-b')), [2]);
    assert.ok(log.records.some((r) => r.msg === 'cluster inbox: redis refused an envelope; dropped'));
  });

  test('an inbox opened while Redis is down sends and reads once Redis is up', async (t) => {
    const redis = await startRedis(t);
    await redis.kill();
    const a = openInbox(t, redis.url, 'node-a');
    const atA = collector();
    await a.start(atA.handler);
    a.send('node-a', numbered(1));
    const flush = a.flush();
    await redis.start();
    await within(flush, LONG_WAIT_MS, 'flush once Redis is up');
    await atA.until(1);
    assert.deepEqual(atA.entries.map(numberOf), [1]);
  });

  test('close while Redis is away is bounded: pending sends are dropped, counted and the waiting flush rejects', async (t) => {
    const redis = await startRedis(t);
    const a = openInbox(t, redis.url, 'node-a');
    await a.ping();
    await redis.kill();
    for (const n of range(0, 5)) a.send('node-b', numbered(n));
    const flush = a.flush();
    const elapsed = stopwatch();
    await a.close();
    assert.ok(elapsed() < 6000, `close took ${elapsed()} ms`);
    await assert.rejects(flush, (error) => error instanceof InboxError && error.code === 'closed');
    assert.equal(a.stats.dropped, 5);
    a.send('node-b', numbered(6)); // after close: dropped, never thrown
    assert.equal(a.stats.dropped, 6);
  });
});

describe(
  'RedisNodeInbox batch entries (one stream entry per destination node per pipeline)',
  redisTestOptions(),
  () => {
    test('2,000 sends to one node in one turn are one stream entry and arrive in send order', async (t) => {
      const redis = await startRedis(t);
      const probe = admin(t, redis.url);
      const a = openInbox(t, redis.url, 'node-a');
      for (const n of range(0, 2000)) a.send('node-b', numbered(n));
      await a.flush();
      assert.deepEqual(await envelopesPerEntry(probe, inboxKey('devgate', 'node-b')), [2000]);
      assert.equal(await redisStat(probe, 'commandstats', 'cmdstat_xadd'), 1);
      const b = openInbox(t, redis.url, 'node-b');
      const atB = collector();
      await b.start(atB.handler);
      await atB.until(2000);
      assert.deepEqual(atB.entries.map(numberOf), range(0, 2000));
      assert.ok(atB.entries.every((e) => e.from === 'node-a'));
      assert.deepEqual({ sent: a.stats.sent, received: b.stats.received }, { sent: 2000, received: 2000 });
    });

    test('sends to three nodes interleaved in one turn make one entry per node, each in send order', async (t) => {
      const redis = await startRedis(t);
      const probe = admin(t, redis.url);
      const a = openInbox(t, redis.url, 'node-a');
      const nodes = ['node-b', 'node-c', 'node-d'];
      for (const n of range(0, 300)) a.send(nodes[n % 3] as string, numbered(n));
      await a.flush();
      assert.equal(await redisStat(probe, 'commandstats', 'cmdstat_xadd'), 3);
      for (const [i, node] of nodes.entries()) {
        assert.deepEqual(await envelopesPerEntry(probe, `devgate:inbox:${node}`), [100]);
        const drained = collector();
        await openInbox(t, redis.url, `reader-${i}`).drain(node, drained.handler);
        assert.deepEqual(
          drained.entries.map(numberOf),
          range(0, 300).filter((n) => n % 3 === i),
        );
      }
    });

    test('a batch over the bound (4,096 envelopes, 1 MiB) is split into several entries, order kept', async (t) => {
      const redis = await startRedis(t);
      const probe = admin(t, redis.url);
      const a = openInbox(t, redis.url, 'node-a');
      for (const n of range(0, 5000)) a.send('node-b', numbered(n));
      for (const n of range(5000, 5003)) a.send('node-c', numbered(n, 400 * 1024));
      await a.flush();
      assert.deepEqual(await envelopesPerEntry(probe, inboxKey('devgate', 'node-b')), [4096, 904]);
      // Two of 400 KiB fit in 1 MiB, a third does not.
      assert.deepEqual(await envelopesPerEntry(probe, 'devgate:inbox:node-c'), [2, 1]);
      const sizes = (await probe.xrangeBuffer('devgate:inbox:node-c', '-', '+')).map(
        ([, fields]) => (fields[3] as Buffer).length,
      );
      assert.ok(
        sizes.every((size) => size <= 1024 * 1024),
        `entry sizes ${sizes.join(', ')}`,
      );
      const b = openInbox(t, redis.url, 'node-b');
      const atB = collector();
      await b.start(atB.handler);
      await atB.until(5000);
      assert.deepEqual(atB.entries.map(numberOf), range(0, 5000));
      const drained = collector();
      await b.drain('node-c', drained.handler);
      assert.deepEqual(drained.entries.map(numberOf), [5000, 5001, 5002]);
    });

    test('an entry in the one-envelope form (as written before batches) is still read, in stream order with batches', async (t) => {
      const redis = await startRedis(t);
      const probe = admin(t, redis.url);
      await probe.xadd(
        inboxKey('devgate', 'node-b'),
        '*',
        'from',
        'node-old',
        'envelope',
        encodeEnvelope(numbered(1)),
      );
      const a = openInbox(t, redis.url, 'node-a');
      a.send('node-b', numbered(2));
      a.send('node-b', numbered(3));
      await a.flush();
      await probe.xadd(
        inboxKey('devgate', 'node-b'),
        '*',
        'from',
        'node-old',
        'envelope',
        encodeEnvelope(numbered(4)),
      );
      assert.deepEqual(await envelopesPerEntry(probe, inboxKey('devgate', 'node-b')), [1, 2, 1]);
      const b = openInbox(t, redis.url, 'node-b');
      const atB = collector();
      await b.start(atB.handler);
      await atB.until(4);
      assert.deepEqual(atB.entries.map(numberOf), [1, 2, 3, 4]);
      assert.deepEqual(
        atB.entries.map((e) => e.from),
        ['node-old', 'node-a', 'node-a', 'node-old'],
      );
      assert.equal(b.stats.received, 4);
    });

    test('a garbled envelope inside a batch is logged and skipped, the others of the batch are delivered', async (t) => {
      const redis = await startRedis(t);
      const log = capturingLogger();
      const probe = admin(t, redis.url);
      const garbage = Buffer.from([1, 0, 0, 0, 9, 0x7b]);
      const good = (n: number): Buffer => encodeEnvelope(numbered(n));
      const parts = [good(1), garbage, good(3)];
      const batch = encodeEnvelopeBatch(parts, sum(parts.map((p) => p.length)));
      await probe.xadd(inboxKey('devgate', 'node-b'), '*', 'from', 'node-x', 'batch', batch);
      // Framing broken after the first envelope: that one is kept, the rest is lost.
      const truncated = Buffer.concat([
        encodeEnvelopeBatch([good(4)], good(4).length),
        Buffer.from([0, 0, 9, 9]),
      ]);
      await probe.xadd(inboxKey('devgate', 'node-b'), '*', 'from', 'node-x', 'batch', truncated);
      // Unknown batch format: the entry as a whole is garbled.
      await probe.xadd(
        inboxKey('devgate', 'node-b'),
        '*',
        'from',
        'node-x',
        'batch',
        Buffer.from([9, 0, 0, 0, 0]),
      );
      const a = openInbox(t, redis.url, 'node-a');
      a.send('node-b', numbered(5));
      a.send('node-b', numbered(6));
      await a.flush();
      const b = openInbox(t, redis.url, 'node-b', { logger: log.logger });
      const atB = collector();
      await b.start(atB.handler);
      await atB.until(5);
      await quietPeriod();
      assert.deepEqual(atB.entries.map(numberOf), [1, 3, 4, 5, 6]);
      const count = (msg: string): number => log.records.filter((r) => r.msg === msg).length;
      assert.equal(count('cluster inbox: garbled envelope skipped'), 2);
      assert.equal(count('cluster inbox: garbled entry skipped'), 1);
    });

    test('flush during a pending batch resolves only once that batch and every earlier send are appended', async (t) => {
      const redis = await startRedis(t);
      const probe = admin(t, redis.url);
      const a = openInbox(t, redis.url, 'node-a');
      await a.ping();
      // Writes wait while Redis is paused: the first batch's pipeline stays in flight until the
      // test lifts the pause (a pause that ran out by itself would race the checks below).
      await probe.call('CLIENT', 'PAUSE', String(LONG_WAIT_MS), 'WRITE');
      for (const n of range(0, 50)) a.send('node-b', numbered(n));
      await new Promise((resolve) => setImmediate(resolve)); // the first pipeline is sent
      for (const n of range(50, 100)) a.send('node-b', numbered(n));
      let flushed = false;
      const flush = a.flush().then(() => (flushed = true));
      await quietPeriod(300);
      assert.equal(flushed, false, 'flush waits for the pending batch');
      assert.equal(await probe.xlen(inboxKey('devgate', 'node-b')), 0);
      assert.equal(a.stats.pending, 100);
      await probe.call('CLIENT', 'UNPAUSE');
      await within(flush, LONG_WAIT_MS, 'flush once Redis writes again');
      assert.deepEqual(await envelopesPerEntry(probe, inboxKey('devgate', 'node-b')), [50, 50]);
      assert.deepEqual({ sent: a.stats.sent, pending: a.stats.pending }, { sent: 100, pending: 0 });
    });
  },
);
