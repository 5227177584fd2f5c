import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { importGraph, unitCycles, unitEdges, unitOf } from './import-graph.js';

const root = mkdtempSync(join(tmpdir(), 'devgate-import-graph-'));
after(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

write('src/lib/clock.ts', 'export const now = (): number => 0;\n');
write(
  'src/broker/broker.ts',
  "import { now } from '../lib/clock.js';\nimport type { Row } from '../store/row.js';\n",
);
write('src/store/row.ts', "export type { B } from '../broker/broker.js';\nexport interface Row {}\n");
write(
  'src/mqtt/codec/packet.ts',
  "import Database from 'better-sqlite3';\nconst lazy = () => import('../topic/match.js');\n",
);
write('src/mqtt/topic/match.ts', 'export const match = true;\n');
write('src/server.ts', "import './broker/broker.js';\n");

test('units: mqtt sub-folders are units of their own, other folders by first name, root files by name', () => {
  assert.equal(unitOf('src/mqtt/codec/packet.ts'), 'mqtt/codec');
  assert.equal(unitOf('src/mqtt/transport/socket-workers/worker-link.ts'), 'mqtt/transport');
  assert.equal(unitOf('src/platform/sqlite/schema/orgs.ts'), 'platform');
  assert.equal(unitOf('src/server.ts'), 'server.ts');
});

test('imports, import type, export-from, side-effect and dynamic imports are all edges, with their line', () => {
  const edges = importGraph(root).map(
    (edge) => `${edge.file}:${edge.line} ${edge.specifier} -> ${edge.target}`,
  );
  assert.deepEqual(edges.sort(), [
    'src/broker/broker.ts:1 ../lib/clock.js -> src/lib/clock.ts',
    'src/broker/broker.ts:2 ../store/row.js -> src/store/row.ts',
    'src/mqtt/codec/packet.ts:1 better-sqlite3 -> undefined',
    'src/mqtt/codec/packet.ts:2 ../topic/match.js -> src/mqtt/topic/match.ts',
    'src/server.ts:1 ./broker/broker.js -> src/broker/broker.ts',
    'src/store/row.ts:1 ../broker/broker.js -> src/broker/broker.ts',
  ]);
});

test('a loop between two units is reported, and nothing else is', () => {
  assert.deepEqual(unitCycles(unitEdges(importGraph(root))), [['broker', 'store']]);
});
