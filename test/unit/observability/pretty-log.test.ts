import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../../src/observability/logger.js';
import { formatPrettyLine } from '../../../src/observability/pretty-log.js';

describe('pretty log format', () => {
  test('one line: ISO time, level, message, key=value pairs; pino frame fields left out', () => {
    const line = formatPrettyLine(
      JSON.stringify({
        level: 30,
        time: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
        pid: 1,
        hostname: 'h',
        name: 'devgate',
        msg: 'client connected',
        clientId: 'c1',
        cleanStart: true,
        keepalive: 60,
        remote: '[::1]:1883',
      }),
    );
    assert.equal(
      line,
      '2026-01-02T03:04:05.006Z INFO  client connected clientId=c1 cleanStart=true keepalive=60 remote=[::1]:1883\n',
    );
  });

  test('values with spaces, quotes or = are JSON-quoted; objects are JSON; errors show message and stack', () => {
    const line = formatPrettyLine(
      JSON.stringify({
        level: 50,
        time: 0,
        msg: 'close failed',
        reason: 'client disconnect',
        tricky: 'a=b',
        listeners: { mqtt: 1883 },
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at one (x.js:1:1)' },
      }),
    );
    assert.equal(
      line,
      '1970-01-01T00:00:00.000Z ERROR close failed reason="client disconnect" tricky="a=b" listeners={"mqtt":1883} err=boom\n    at one (x.js:1:1)\n',
    );
  });

  test('a line that is not JSON passes through', () => {
    assert.equal(formatPrettyLine('plain text'), 'plain text\n');
  });

  test('createLogger({format: pretty}) writes formatted lines to its output', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      format: 'pretty',
      prettyOut: { write: (text) => lines.push(text) },
    });
    logger.info({ username: 'alice' }, 'login refused');
    logger.debug('not at info');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^\S+Z INFO {2}login refused username=alice\n$/);
  });
});
