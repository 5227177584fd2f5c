import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Summarises a V8 `.cpuprofile` (from `--cpu-prof`): the functions with the most self time and the
 * most total (inclusive) time, as shares of the samples. Usage:
 *   node dist/bench/tools/profile-summary.js <file.cpuprofile> [top=25] [skip-ms=0]
 * `skip-ms` leaves out the first milliseconds of the profile (start-up: module loading, schema).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  /** µs between consecutive samples (the first: since the profile's start). */
  timeDeltas: number[];
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url === '' ? '' : relative(process.cwd(), url.replace(/^file:\/\//, ''));
  return `${functionName || '(anonymous)'} ${file}${file === '' ? '' : `:${lineNumber + 1}`}`;
}

function main(): void {
  const [file, topArg, skipArg] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const skipMicros = Number(skipArg ?? 0) * 1000;
  const selfCount = new Map<number, number>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= skipMicros) selfCount.set(id, (selfCount.get(id) ?? 0) + 1);
  });
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busy = 0;
  for (const [id, count] of selfCount) {
    const node = byId.get(id)!;
    const name = label(node);
    if (name.startsWith('(idle)')) continue;
    busy += count;
    self.set(name, (self.get(name) ?? 0) + count);
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const l = label(byId.get(node)!);
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + count);
    }
  }
  const print = (title: string, map: Map<string, number>): void => {
    process.stdout.write(`\n${title} (of ${busy} busy samples)\n`);
    const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [name, count] of rows)
      process.stdout.write(`${((100 * count) / busy).toFixed(1).padStart(6)} %  ${name}\n`);
  };
  print('self time', self);
  print('total time', total);
}

main();
