import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Logger, pino } from 'pino';
import { openFilesLimit } from '../../../src/mqtt/transport/open-files-limit.js';
import { OpenFilesWatch } from '../../../src/mqtt/transport/open-files-watch.js';

function capture(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

test('[operations] one warning at 90 % of the open-files limit (base files included), again only after falling below 80 %', () => {
  const { logger, lines } = capture();
  const watch = new OpenFilesWatch(1000, logger, 100); // warn at 800 connections, re-arm below 700
  watch.check(799);
  assert.equal(lines.length, 0);
  for (let n = 800; n < 900; n++) watch.check(n);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.connections, 800);
  assert.equal(lines[0]?.openFilesLimit, 1000);
  watch.check(750);
  watch.check(850);
  assert.equal(lines.length, 1, 'not re-armed above 80 %');
  watch.check(699);
  watch.check(800);
  assert.equal(lines.length, 2);
});

test('the open-files limit is read from /proc/self/limits; unknown or unlimited is Infinity', () => {
  const limit = openFilesLimit();
  assert.ok(Number.isInteger(limit) && limit > 0, `limit ${limit}`);
  assert.equal(openFilesLimit('/nonexistent/limits'), Number.POSITIVE_INFINITY);
});
