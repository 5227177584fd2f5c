import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeMessage,
  decodeRoutes,
  decodeVersion,
  encodeMessage,
  encodeVersion,
} from '../../../src/cluster/redis/redis-route-wire.js';
import { parseRouteKey, routeKey } from '../../../src/cluster/route-key.js';

test('route keys: a filter as is, a share group as $share/{name}/{filter}, and back', () => {
  for (const route of [
    { filter: 'a/+/c' },
    { filter: '$dev/17/downlink/#' },
    { filter: 'a/#', share: 'g' },
  ]) {
    assert.deepEqual(parseRouteKey(routeKey(route)), route);
  }
  assert.equal(routeKey({ filter: 'a/b', share: 'g' }), '$share/g/a/b');
});

test('route keys that are no valid filter or share group are refused [MQTT-4.7.1-2] [MQTT-4.8.2-1]', () => {
  for (const key of ['', 'a/#/b', 'a+', '$share//a', '$share/g', '$share/g+/a', 'a\u0000b']) {
    assert.equal(parseRouteKey(key), undefined, JSON.stringify(key));
  }
  assert.deepEqual(decodeRoutes(['a/b', 'a/#/b', '$share/g/x']), {
    routes: [{ filter: 'a/b' }, { filter: 'x', share: 'g' }],
    invalid: 1,
  });
});

test('messages round-trip, and anything else on the channel decodes to nothing', () => {
  const messages = [
    { type: 'change', node: 'n1', run: 'r', seq: 3, added: ['a/b'], removed: ['$share/g/c'] },
    { type: 'full', node: 'n1', run: 'r', seq: 4 },
    { type: 'drop', node: 'n2' },
  ] as const;
  for (const message of messages) assert.deepEqual(decodeMessage(encodeMessage(message)), message);
  for (const text of [
    'not json',
    'null',
    '[]',
    '{"type":"change","node":"n1","run":"r","seq":1,"added":[1],"removed":[]}',
    '{"type":"change","node":"n1","run":"r","seq":"1","added":[],"removed":[]}',
    '{"type":"full","node":"","run":"r","seq":1}',
    '{"type":"full","node":"a\\u0000b","run":"r","seq":1}',
    '{"type":"other","node":"n1","run":"r","seq":1}',
  ]) {
    assert.equal(decodeMessage(text), undefined, text);
  }
});

test('versions: {run}:{seq}, anything else is no version', () => {
  assert.deepEqual(decodeVersion(encodeVersion({ run: 'ab12', seq: 7 })), { run: 'ab12', seq: 7 });
  for (const text of [null, undefined, '', 'ab12', ':7', 'ab12:x', 'ab12:-1']) {
    assert.equal(decodeVersion(text), undefined, String(text));
  }
});
