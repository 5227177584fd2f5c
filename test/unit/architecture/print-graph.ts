// Prints the unit-level import graph of src/ and its cycles:
//   node dist/test/unit/architecture/print-graph.js [repo root]
import { fileURLToPath } from 'node:url';
import { describe, importGraph, unitCycles, unitEdges } from './import-graph.js';

const root = process.argv[2] ?? fileURLToPath(new URL('../../../../', import.meta.url));
const graph = unitEdges(importGraph(root));
const out: string[] = [];
for (const [from, targets] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
  out.push(`${from} -> ${[...targets.keys()].sort().join(', ')}`);
}
const cycles = unitCycles(graph);
out.push('', `cycles (strongly connected groups): ${cycles.length}`);
for (const cycle of cycles) {
  out.push(`  ${cycle.join(' <-> ')}`);
  const members = new Set(cycle);
  for (const from of cycle) {
    for (const [to, edges] of graph.get(from) ?? []) {
      if (!members.has(to)) continue;
      out.push(
        `    ${from} -> ${to}: ${edges.length} import(s), e.g. ${edges.slice(0, 3).map(describe).join('; ')}`,
      );
    }
  }
}
process.stdout.write(`${out.join('\n')}\n`);
