import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MqttError } from '../../../src/mqtt/codec/errors.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { isValidSharedFilter, parseSharedFilter } from '../../../src/mqtt/topic/shared.js';

describe('parseSharedFilter (MQTT 5.0 §4.8.2)', () => {
  const valid: Array<[string, string, string, string]> = [
    ['simple', '$share/group/a/b', 'group', 'a/b'],
    ['wildcard filter', '$share/g/+/x/#', 'g', '+/x/#'],
    ['# filter', '$share/g/#', 'g', '#'],
    ['filter with empty levels', '$share/g//', 'g', '/'],
    ['filter starting with $', '$share/g/$SYS/#', 'g', '$SYS/#'],
    ['non-ASCII share name', '$share/grüppe/a', 'grüppe', 'a'],
  ];
  for (const [name, input, shareName, filter] of valid) {
    test(`valid: ${name}`, () => assert.deepEqual(parseSharedFilter(input), { shareName, filter }));
  }

  const notShared = ['a/b', '#', '$SYS/#', '$share', '$sharegroup/a', '$SHARE/g/a', 'x/$share/g/a'];
  for (const input of notShared) {
    test(`not shared: ${input}`, () => assert.equal(parseSharedFilter(input), null));
  }

  const invalid: Array<[string, string]> = [
    ['[MQTT-4.8.2-1] empty share name', '$share//a'],
    ['[MQTT-4.8.2-1] nothing after the prefix', '$share/'],
    ['[MQTT-4.8.2-2] no / after the share name', '$share/group'],
    ['[MQTT-4.8.2-2] no filter after the share name', '$share/group/'],
    ['[MQTT-4.8.2-2] + in the share name', '$share/g+/a'],
    ['[MQTT-4.8.2-2] # in the share name', '$share/#/a'],
    ['[MQTT-4.8.2-2] share name that is a wildcard', '$share/+/a'],
    ['[MQTT-4.7.1-2] invalid filter after the share name', '$share/g/a/#/b'],
    ['[MQTT-4.7.3-2] U+0000 in the share name', '$share/g\u0000/a'],
  ];
  for (const [name, input] of invalid) {
    test(`invalid: ${name}`, () => {
      assert.throws(
        () => parseSharedFilter(input),
        (err: unknown) => err instanceof MqttError && err.reasonCode === ReasonCode.TopicFilterInvalid,
      );
      assert.equal(isValidSharedFilter(input), false);
    });
  }

  test('maxLevels applies to the filter after the share name', () => {
    assert.deepEqual(parseSharedFilter('$share/g/a/b', 2), { shareName: 'g', filter: 'a/b' });
    assert.throws(() => parseSharedFilter('$share/g/a/b/c', 2), MqttError);
  });

  test('isValidSharedFilter is false for non-shared filters', () => {
    assert.equal(isValidSharedFilter('a/b'), false);
    assert.equal(isValidSharedFilter('$share/g/a'), true);
  });
});
