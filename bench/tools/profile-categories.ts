import { readFileSync } from 'node:fs';

/**
 * Where a broker's CPU goes, by part: each busy sample of a V8 `.cpuprofile` is charged to the
 * part of the innermost frame on its stack that belongs to one (a socket write made by ioredis is
 * the Redis client's; made by the MQTT transport, the transport's). Several profiles are added up
 * (the nodes of a cluster). Usage:
 *   node dist/bench/tools/profile-categories.js [--skip-ms N] <file.cpuprofile>...
 * `--skip-ms` leaves out the first milliseconds of each profile (start-up).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Parts, tried in order on each frame from the leaf up; the first that matches takes the sample. */
const PARTS: ReadonlyArray<readonly [string, RegExp]> = [
  ['bench probe (loop-probe, not devgate)', /bench\/brokers\/loop-probe/],
  ['cluster envelope codec', /src\/cluster\/envelope-(codec|bytes|json-decoder)/],
  [
    'Redis client (ioredis, its socket writes and reply parsing)',
    /node_modules\/(ioredis|redis-parser|@ioredis)\//,
  ],
  ['cluster forwarding and inbox (src/cluster)', /src\/cluster\//],
  ['MQTT codec (src/mqtt/codec, mqtt-packet)', /src\/mqtt\/codec\/|node_modules\/(mqtt-packet|bl)\//],
  [
    'route match (topic trie, match cache, router)',
    /src\/mqtt\/topic\/|src\/broker\/(match-cache|router|subscription)/,
  ],
  ['store (src/store, pg, SQLite)', /src\/store\/|node_modules\/(pg|pg-protocol|pg-pool|better-sqlite3)\//],
  ['broker and sessions (src/broker, src/mqtt/protocol)', /src\/broker\/|src\/mqtt\/protocol\//],
  ['MQTT transport (sockets to clients)', /src\/mqtt\/transport\//],
  ['metrics and logs', /src\/observability\/|node_modules\/(prom-client|pino)/],
  [
    'platform (device and gateway API, platform stores and caches)',
    /src\/(platform|device-api|gateway-api)\//,
  ],
  [
    'HTTP (fastify and src/http; start-up, mostly)',
    /src\/http\/|node_modules\/(fastify|@fastify|avvio|find-my-way)\//,
  ],
  ['other devgate code', /\/src\//],
];
const GC = 'garbage collector';
const UNATTRIBUTED = 'node internals, no devgate frame (timers, microtasks, program)';

function partOf(stack: readonly ProfileNode[]): string {
  const leaf = stack[0]!.callFrame.functionName;
  if (leaf === '(garbage collector)') return GC;
  for (const node of stack) {
    for (const [name, pattern] of PARTS) if (pattern.test(node.callFrame.url)) return name;
  }
  return UNATTRIBUTED;
}

function main(): void {
  const argv = process.argv.slice(2);
  let skipMicros = 0;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--skip-ms') skipMicros = Number(argv[++i]) * 1000;
    else files.push(argv[i]!);
  }
  if (files.length === 0) throw new Error('usage: profile-categories [--skip-ms N] <file.cpuprofile>...');
  const micros = new Map<string, number>();
  let busy = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const cache = new Map<number, string>();
    let at = 0;
    profile.samples.forEach((id, i) => {
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      if (at < skipMicros || byId.get(id)!.callFrame.functionName === '(idle)') return;
      let part = cache.get(id);
      if (part === undefined) {
        const stack: ProfileNode[] = [];
        for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) stack.push(byId.get(n)!);
        part = partOf(stack);
        cache.set(id, part);
      }
      micros.set(part, (micros.get(part) ?? 0) + delta);
      busy += delta;
    });
  }
  process.stdout.write(`busy ${(busy / 1e6).toFixed(2)} s over ${files.length} profile(s)\n`);
  for (const [name, value] of [...micros.entries()].sort((a, b) => b[1] - a[1]))
    process.stdout.write(`${((100 * value) / busy).toFixed(1).padStart(6)} %  ${name}\n`);
}

main();
