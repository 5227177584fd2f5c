import assert from 'node:assert/strict';
import { describe as suite, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  describe,
  type ImportEdge,
  importGraph,
  sourceFiles,
  unitCycles,
  unitEdges,
  unitOf,
} from './import-graph.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Which unit of src/ may import which (docs/architecture.md, "Module map and the dependency rule").
 * Listed bottom-up; a unit may only name units listed above it, so the table itself has no loop.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  lib: [],
  'mqtt/codec': [],
  'mqtt/topic': ['mqtt/codec'],
  config: ['lib'],
  observability: ['lib', 'config', 'mqtt/codec'],
  broker: ['lib', 'config', 'observability', 'mqtt/codec', 'mqtt/topic'],
  store: ['lib', 'config', 'observability', 'mqtt/codec', 'broker'],
  'mqtt/protocol': ['lib', 'config', 'observability', 'mqtt/codec', 'mqtt/topic', 'broker'],
  'mqtt/transport': ['lib', 'config', 'observability', 'mqtt/codec', 'mqtt/topic', 'broker', 'mqtt/protocol'],
  platform: ['lib', 'config', 'observability', 'store'],
  // Node membership, session ownership, route replication and inboxes between nodes.
  cluster: ['lib', 'config', 'observability', 'mqtt/codec', 'mqtt/topic', 'broker', 'store'],
  auth: ['lib', 'config', 'observability', 'mqtt/codec', 'broker', 'store', 'platform'],
  'device-api': ['lib', 'config', 'observability', 'mqtt/codec', 'mqtt/topic', 'broker', 'platform'],
  'gateway-api': [
    'lib',
    'config',
    'observability',
    'mqtt/codec',
    'mqtt/topic',
    'broker',
    'platform',
    'device-api',
  ],
  ota: ['lib', 'config', 'observability', 'broker', 'platform', 'device-api'],
  backup: ['lib', 'config', 'observability', 'store', 'platform', 'ota'],
  http: [
    'lib',
    'config',
    'observability',
    'mqtt/codec',
    'mqtt/transport',
    'broker',
    'platform',
    'auth',
    'device-api',
    'ota',
  ],
  'server-reload.ts': ['lib', 'config', 'observability', 'mqtt/transport', 'auth'],
  'server.ts': [
    'lib',
    'config',
    'observability',
    'mqtt/codec',
    'mqtt/transport',
    'broker',
    'store',
    'auth',
    'server-reload.ts',
  ],
  // The composition root: every unit above.
  cli: [
    'lib',
    'config',
    'observability',
    'mqtt/codec',
    'mqtt/topic',
    'mqtt/protocol',
    'mqtt/transport',
    'broker',
    'store',
    'platform',
    'cluster',
    'auth',
    'device-api',
    'gateway-api',
    'ota',
    'backup',
    'http',
    'server-reload.ts',
    'server.ts',
  ],
};

/**
 * Imports that break the table today, each with why it is still here. This list may only shrink:
 * a new entry needs a reason in review, and an entry whose import is gone fails the test below.
 */
const KNOWN_EXCEPTIONS: readonly { file: string; specifier: string; why: string }[] = [
  // The collectors, readiness and $SYS read the running broker while the broker logs and counts
  // through observability/; they belong with the composition, or behind a narrow port declared here.
  { file: 'src/observability/engine-collectors.ts', specifier: '../broker/broker.js', why: 'collector' },
  { file: 'src/observability/metrics-registry.ts', specifier: '../broker/broker.js', why: 'collector' },
  {
    file: 'src/observability/readiness.ts',
    specifier: '../broker/broker.js',
    why: 'readiness reads the broker',
  },
  { file: 'src/observability/session-collectors.ts', specifier: '../broker/broker.js', why: 'collector' },
  { file: 'src/observability/sys-topics.ts', specifier: '../broker/broker.js', why: '$SYS publisher' },
  { file: 'src/observability/sys-topics.ts', specifier: '../broker/sys-topic.js', why: '$SYS publisher' },
];

/**
 * Where a database driver may be imported: its store folders, and files named after their backend
 * (`sqlite-….ts`, `postgres-….ts`) that implement a feature's store interface beside the feature.
 */
const DRIVER_HOMES: Readonly<Record<string, { folders: readonly string[]; filePrefix: string }>> = {
  'better-sqlite3': { folders: ['src/store/sqlite/', 'src/platform/sqlite/'], filePrefix: 'sqlite-' },
  pg: {
    folders: ['src/store/postgres/', 'src/platform/postgres/', 'src/cluster/postgres/'],
    filePrefix: 'postgres-',
  },
  ioredis: { folders: ['src/cluster/redis/'], filePrefix: 'redis-' },
};

const edges = importGraph(ROOT);
const crossUnit = edges.filter(
  (edge) => edge.target?.startsWith('src/') === true && unitOf(edge.file) !== unitOf(edge.target),
);

function isException(edge: ImportEdge): boolean {
  return KNOWN_EXCEPTIONS.some((known) => known.file === edge.file && known.specifier === edge.specifier);
}

function report(violations: readonly ImportEdge[]): string {
  return violations
    .map((edge) => `  ${describe(edge)} (${unitOf(edge.file)} -> ${unitOf(edge.target as string)})`)
    .join('\n');
}

suite('dependency rule between the folders of src/ (docs/architecture.md)', () => {
  test('every unit of src/ has a row in the table, and the table itself has no loop', () => {
    const units = new Set(sourceFiles(ROOT).map(unitOf));
    const missing = [...units].filter((unit) => ALLOWED[unit] === undefined);
    assert.deepEqual(missing, [], `units without a row in ALLOWED: ${missing.join(', ')}`);
    const seen: string[] = [];
    for (const [unit, allowed] of Object.entries(ALLOWED)) {
      const later = allowed.filter((dependency) => !seen.includes(dependency));
      assert.deepEqual(later, [], `${unit} may only depend on units listed above it`);
      seen.push(unit);
    }
  });

  test('every import between folders is allowed by the table (or a listed known exception)', () => {
    const violations = crossUnit.filter(
      (edge) => !ALLOWED[unitOf(edge.file)]?.includes(unitOf(edge.target as string)) && !isException(edge),
    );
    assert.equal(violations.length, 0, `imports the dependency rule forbids:\n${report(violations)}`);
  });

  test('the known exceptions all still exist (the list can only shrink)', () => {
    const stale = KNOWN_EXCEPTIONS.filter(
      (known) => !crossUnit.some((edge) => edge.file === known.file && edge.specifier === known.specifier),
    );
    assert.deepEqual(stale, [], 'remove these entries from KNOWN_EXCEPTIONS: the import is gone');
  });

  test('no loop between folders apart from the known exceptions', () => {
    const cycles = unitCycles(unitEdges(edges.filter((edge) => !isException(edge))));
    const detail = cycles.map((cycle) => {
      const members = new Set(cycle);
      const inside = crossUnit.filter(
        (edge) =>
          members.has(unitOf(edge.file)) && members.has(unitOf(edge.target as string)) && !isException(edge),
      );
      return `  ${cycle.join(' <-> ')}\n${report(inside)}`;
    });
    assert.deepEqual(cycles, [], `folder loops:\n${detail.join('\n')}`);
  });

  test('lib and mqtt/codec import nothing from src/, mqtt/topic only mqtt/codec', () => {
    const leafRule: Record<string, readonly string[]> = {
      lib: [],
      'mqtt/codec': [],
      'mqtt/topic': ['mqtt/codec'],
    };
    const violations = crossUnit.filter((edge) => {
      const allowed = leafRule[unitOf(edge.file)];
      return allowed !== undefined && !allowed.includes(unitOf(edge.target as string));
    });
    assert.equal(violations.length, 0, `leaf units importing from src/:\n${report(violations)}`);
  });

  for (const [driver, home] of Object.entries(DRIVER_HOMES)) {
    test(`${driver} is imported only by its store folders and files named after it`, () => {
      const users = edges.filter(
        (edge) => edge.specifier === driver || edge.specifier.startsWith(`${driver}/`),
      );
      const violations = users.filter(
        (edge) =>
          !home.folders.some((folder) => edge.file.startsWith(folder)) &&
          !(edge.file.split('/').at(-1) ?? '').startsWith(home.filePrefix),
      );
      assert.equal(
        violations.length,
        0,
        `${driver} imported outside its home:\n${violations.map(describe).join('\n')}`,
      );
    });
  }
});
