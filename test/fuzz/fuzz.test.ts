import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RSS_GROWTH_MIB } from './report.js';
import { fuzzSession } from './session.js';

/** Fixed, so `npm test` is repeatable; `npm run fuzz -- --seed <n>` explores others. */
const SEED = 20_261_207;
const PACKETS = 30_000;

test('Fuzz (bounded slice): mutated v3.1/v3.1.1/v5 sessions over TCP and WebSocket never stop devgate start or devgate broker, RSS stays bounded, well-behaved clients still round-trip', async () => {
  const result = await fuzzSession({
    seed: SEED,
    packets: PACKETS,
    connections: 16,
    rssGrowthMiB: DEFAULT_RSS_GROWTH_MIB,
  });
  console.log(result.text);
  assert.deepEqual(result.problems, [], result.text);
  assert.ok(result.passed);
});
