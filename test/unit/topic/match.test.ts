import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { topicMatches } from '../../../src/mqtt/topic/match.js';
import { matchTable } from './match-table.js';

describe('topicMatches (MQTT 5.0 §4.7)', () => {
  for (const [name, filter, topic, expected] of matchTable) {
    test(`${name}: "${filter}" vs "${topic}"`, () => assert.equal(topicMatches(filter, topic), expected));
  }
});
