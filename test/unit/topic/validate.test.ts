import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidTopicFilter, isValidTopicName } from '../../../src/mqtt/topic/validate.js';

describe('isValidTopicName', () => {
  const rows: Array<[string, string, boolean, number?]> = [
    ['plain', 'a/b/c', true],
    ['single level', 'a', true],
    ['leading and trailing slash', '/a/', true],
    ['only separators', '//', true],
    ['$SYS topic', '$SYS/broker/load', true],
    ['non-ASCII', 'température/°C/😀', true],
    ['spaces', 'a b/c d', true],
    ['[MQTT-4.7.3-1] empty', '', false],
    ['[MQTT-3.3.2-2] + wildcard', 'a/+/c', false],
    ['[MQTT-3.3.2-2] # wildcard', 'a/#', false],
    ['[MQTT-3.3.2-2] wildcard inside a level', 'a/b+c', false],
    ['[MQTT-4.7.3-2] U+0000', 'a/\u0000', false],
    ['lone high surrogate', 'a/\ud800', false],
    ['lone low surrogate', '\udc00/a', false],
    ['reversed surrogates', '\udc00\ud800', false],
    ['max levels: exactly at the limit', 'a/b/c', true, 3],
    ['max levels: one over', 'a/b/c/d', false, 3],
  ];
  for (const [name, topic, valid, maxLevels] of rows) {
    test(name, () => assert.equal(isValidTopicName(topic, maxLevels), valid));
  }

  test('MQTT 5.0 §1.5.4 at most 65,535 UTF-8 bytes', () => {
    assert.equal(isValidTopicName('a'.repeat(65_535)), true);
    assert.equal(isValidTopicName('a'.repeat(65_536)), false);
    assert.equal(isValidTopicName('é'.repeat(32_767)), true); // 65,534 bytes
    assert.equal(isValidTopicName('é'.repeat(32_768)), false); // 65,536 bytes
    assert.equal(isValidTopicName('€'.repeat(21_845)), true); // 65,535 bytes
    assert.equal(isValidTopicName('€'.repeat(21_846)), false);
  });
});

describe('isValidTopicFilter', () => {
  const rows: Array<[string, string, boolean, number?]> = [
    ['plain', 'a/b', true],
    ['# alone', '#', true],
    ['+ alone', '+', true],
    ['[MQTT-4.7.1-2] # as last level', 'a/b/#', true],
    ['[MQTT-4.7.1-3] + in the middle', 'a/+/c', true],
    ['+ and # together', '+/+/#', true],
    ['empty levels', '/+/', true],
    ['$SYS with #', '$SYS/#', true],
    ['[MQTT-4.7.3-1] empty', '', false],
    ['[MQTT-4.7.1-2] # not last', 'a/#/c', false],
    ['[MQTT-4.7.1-2] # inside a level', 'a/b#', false],
    ['[MQTT-4.7.1-2] # followed by text', 'a/#b', false],
    ['[MQTT-4.7.1-2] ## level', 'a/##', false],
    ['[MQTT-4.7.1-3] + inside a level', 'a/b+/c', false],
    ['[MQTT-4.7.1-3] + before text', 'a/+b', false],
    ['[MQTT-4.7.1-3] ++ level', '++', false],
    ['[MQTT-4.7.3-2] U+0000', 'a/\u0000/#', false],
    ['lone surrogate', '\ud83d/+', false],
    ['surrogate pair', '😀/+', true],
    ['max levels counts wildcards', 'a/+/#', true, 3],
    ['max levels: one over', 'a/+/b/#', false, 3],
  ];
  for (const [name, filter, valid, maxLevels] of rows) {
    test(name, () => assert.equal(isValidTopicFilter(filter, maxLevels), valid));
  }

  test('MQTT 5.0 §1.5.4 at most 65,535 UTF-8 bytes', () => {
    assert.equal(isValidTopicFilter(`${'a'.repeat(65_533)}/#`), true);
    assert.equal(isValidTopicFilter(`${'a'.repeat(65_534)}/#`), false);
  });
});
