import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Logger, pino } from 'pino';
import { DropLog } from '../../../src/observability/drop-log.js';

function capture(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

test('dropped messages are logged (first at once, then summed per interval), never silently', async () => {
  const { logger, lines } = capture();
  const log = new DropLog(logger, 20);
  for (let i = 0; i < 500; i++) log.record('c1', 'session queue full');
  log.record('c2', 'slow consumer');
  assert.equal(lines.length, 2, 'one line per (client, reason) at first');
  await new Promise((resolve) => setTimeout(resolve, 60));
  const summary = lines.find((l) => l.msg === 'messages dropped');
  assert.equal(summary?.count, 499);
  assert.equal(summary?.clientId, 'c1');
});

test('the set of tracked (client, reason) pairs is bounded', () => {
  const { logger, lines } = capture();
  const log = new DropLog(logger, 10_000, 3);
  for (let i = 0; i < 10; i++) log.record(`c${i}`, 'queue full');
  assert.equal(lines.length, 3);
});
