import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { roundTrips } from './health.js';
import { REGRESSIONS } from './regressions.js';
import { replayChunks } from './replay.js';
import { type FuzzTargets, startTargets } from './target.js';

/**
 * "Nothing a client sends may stop the process": each fuzzer-found crash, replayed byte for byte and
 * chunk for chunk (over TCP unless it needs WebSocket message boundaries) against the built CLI in a
 * child process (`devgate start --demo` and `devgate broker`).
 */
describe('Fuzz regressions (exact bytes, server in a child process)', () => {
  let targets: FuzzTargets;
  before(async () => {
    targets = await startTargets();
  });
  after(() => targets.stop());

  for (const regression of REGRESSIONS) {
    test(`${regression.server} over ${regression.transport ?? 'tcp'}, ${regression.login} login: ${regression.name}`, async () => {
      const server = regression.server === 'platform' ? targets.platform : targets.broker;
      const chunks = regression.chunks.map((hex) => Buffer.from(hex, 'hex'));
      await replayChunks(targets, regression.server, chunks, regression);
      // A second connection proves the listener still accepts; the exit flag proves the process lives.
      await replayChunks(targets, regression.server, []);
      assert.equal(server.hasExited(), false, server.output.text.slice(-4000));
    });
  }

  test('a well-behaved mqtt client still round-trips on both servers afterwards (v3.1.1 and v5, TCP and WebSocket)', async () => {
    const trips = await roundTrips(targets);
    assert.deepEqual(
      trips.filter((t) => !t.ok),
      [],
    );
  });
});
