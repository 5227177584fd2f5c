import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sourceFiles } from './import-graph.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Behind a balancer the socket's remote end is the balancer; the client is what the PROXY header
 * said (decision 0027). Only peer.ts reads a socket's own address for the rest of the code, and the
 * gate reads it once to check the balancer is a trusted source.
 */
const MAY_READ_SOCKET_ADDRESS = new Set([
  'src/mqtt/transport/peer.ts',
  'src/mqtt/transport/proxy-protocol/proxy-gate.ts',
]);

test("decision 0027: no code reads a socket's remoteAddress/remotePort but peer.ts (peerOf) and the PROXY gate", () => {
  const readsSocket = /\b(?:socket|raw|stream|_parent)\??\.remote(?:Address|Port)\b/;
  const offenders = sourceFiles(ROOT)
    .filter((file) => !MAY_READ_SOCKET_ADDRESS.has(file))
    .filter((file) => readsSocket.test(readFileSync(join(ROOT, file), 'utf8')));
  assert.deepEqual(offenders, []);
});
