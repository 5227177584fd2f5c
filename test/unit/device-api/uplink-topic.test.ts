import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUplinkTopic } from '../../../src/device-api/uplink-topic.js';

test('spec §3.8 fixed uplink topics', () => {
  assert.deepEqual(parseUplinkTopic('info/mcu'), { kind: 'info-mcu' });
  assert.deepEqual(parseUplinkTopic('batch_ds'), { kind: 'batch-ds' });
  assert.deepEqual(parseUplinkTopic('get/ds'), { kind: 'get-ds' });
  assert.deepEqual(parseUplinkTopic('get/ds/all'), { kind: 'get-ds-all' });
  assert.deepEqual(parseUplinkTopic('get/meta'), { kind: 'get-meta' });
  assert.deepEqual(parseUplinkTopic('get/utc/all/json'), { kind: 'get-utc' });
  assert.deepEqual(parseUplinkTopic('get/loc/all'), { kind: 'get-loc' });
});

test('spec §3.8 ds/ tails, longest match first; names may contain spaces', () => {
  assert.deepEqual(parseUplinkTopic('ds/Set Temperature'), { kind: 'ds', name: 'Set Temperature' });
  assert.deepEqual(parseUplinkTopic('ds/Power/erase'), { kind: 'ds-erase', name: 'Power' });
  assert.deepEqual(parseUplinkTopic('ds/Power/timestamped_batch'), { kind: 'ds-batch', name: 'Power' });
  assert.deepEqual(parseUplinkTopic('ds/Power/prop/color'), { kind: 'prop', name: 'Power', prop: 'color' });
  assert.deepEqual(parseUplinkTopic('ds/Power/prop/color/erase'), {
    kind: 'prop-erase',
    name: 'Power',
    prop: 'color',
  });
  // A property may be called "erase": ds/X/prop/erase sets it.
  assert.deepEqual(parseUplinkTopic('ds/X/prop/erase'), { kind: 'prop', name: 'X', prop: 'erase' });
});

test('spec §3.2 event/CODE and meta/NAME take one level', () => {
  assert.deepEqual(parseUplinkTopic('event/door_open'), { kind: 'event', code: 'door_open' });
  assert.deepEqual(parseUplinkTopic('meta/Hotspot Name'), { kind: 'meta', name: 'Hotspot Name' });
});

test('spec §3.7 anything else is unknown', () => {
  for (const topic of [
    '',
    'ds',
    'ds/',
    'ds//erase',
    'ds/X/',
    'ds/X/prop',
    'ds/X/prop/',
    'ds/X/prop/c/erase/more',
    'ds/X/other',
    'event/',
    'event/a/b',
    'meta/',
    'get',
    'get/ds/',
    'info/mcu/x',
    'toString',
    'constructor',
    'downlink/ds/X',
  ]) {
    assert.equal(parseUplinkTopic(topic), undefined, topic);
  }
});
