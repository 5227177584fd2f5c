/**
 * `npm run fuzz -- --packets 1000000 [--seed N] [--connections N] [--case I,J] [--rss-growth-mib M]`
 * Long fuzz runs against the built CLI in child processes; exits 1 on any failure.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_RSS_GROWTH_MIB } from './report.js';
import { fuzzSession } from './session.js';

function integer(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`--${name} takes a non-negative integer`);
  return parsed;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      packets: { type: 'string' },
      seed: { type: 'string' },
      connections: { type: 'string' },
      case: { type: 'string' },
      'rss-growth-mib': { type: 'string' },
    },
  });
  const seed = integer(values.seed, Math.floor(Math.random() * 2 ** 32), 'seed') >>> 0;
  const only = values.case?.split(',').map((v) => integer(v, 0, 'case'));
  const packets = integer(values.packets, 100_000, 'packets');
  const connections = Math.max(1, integer(values.connections, 32, 'connections'));
  console.log(
    only === undefined
      ? `fuzzing: seed ${seed}, ${packets} packets, ${connections} connections at once`
      : `replaying seed ${seed} cases ${only.join(', ')}`,
  );
  const started = Date.now();
  const result = await fuzzSession({
    seed,
    packets,
    connections,
    ...(only === undefined ? {} : { only }),
    rssGrowthMiB: integer(values['rss-growth-mib'], DEFAULT_RSS_GROWTH_MIB, 'rss-growth-mib'),
    onProgress: ({ cases, packets: sent }) => {
      if (cases % 5000 === 0)
        console.log(
          `  ${sent} packets, ${cases} connections, ${((Date.now() - started) / 1000).toFixed(0)} s`,
        );
    },
  });
  console.log(result.text);
  console.log(result.passed ? 'PASS' : 'FAIL');
  return result.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
