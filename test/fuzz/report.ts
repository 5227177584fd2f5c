/** Pass criteria and the human-readable report of a fuzz run. */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FuzzCase, redact } from './cases.js';
import type { RoundTrip } from './health.js';
import type { RunReport } from './runner.js';
import type { PlatformLogins } from './target.js';

/** RSS may grow by this much over a run before it counts as unbounded (generous on purpose). */
export const DEFAULT_RSS_GROWTH_MIB = 256;
const MIN_CASES_FOR_LOGIN_CHECK = 200;
const LOGIN_KINDS = ['anonymous', 'device', 'mgmt_device', 'oauth'] as const;

/** Everything that makes the run fail; empty when it passed. */
export function problems(report: RunReport, trips: readonly RoundTrip[], rssGrowthMiB: number): string[] {
  const found: string[] = [];
  if (report.crash !== undefined) found.push(report.crash.why);
  for (const kind of ['platform', 'broker'] as const) {
    const before = report.rssBefore[kind] ?? 0;
    const after = report.rssAfter[kind];
    if (after !== undefined && after - before > rssGrowthMiB * 1024)
      found.push(`${kind} RSS grew from ${mib(before)} to ${mib(after)} (bound +${rssGrowthMiB} MiB)`);
  }
  // Without accepted logins the fuzz would only ever exercise the CONNECT path: the fuzzer is broken.
  for (const kind of LOGIN_KINDS)
    if (report.cases >= MIN_CASES_FOR_LOGIN_CHECK && report.accepted[kind] === 0)
      found.push(`no ${kind} login was accepted in ${report.cases} connections`);
  // A failure contained to its connection is still our bug: it is logged at error level with its stack.
  for (const kind of ['platform', 'broker'] as const)
    for (const line of report.errorLogs[kind].slice(0, 5))
      found.push(`${kind} logged an error: ${line.slice(0, 2000)}`);
  // The `mqtt` client decodes with mqtt-packet: a frame it cannot decode breaks real clients.
  for (const frame of report.malformed) found.push(`server sent a frame mqtt-packet cannot decode: ${frame}`);
  for (const trip of trips) if (!trip.ok) found.push(`round trip ${trip.what} failed: ${trip.error}`);
  return found;
}

function mib(kib: number | undefined): string {
  return kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`;
}

/** The summary printed at the end of every run. */
export function summary(report: RunReport, trips: readonly RoundTrip[]): string {
  const rate = Math.round(report.packets / Math.max(1, report.durationMs / 1000));
  const rss = (['platform', 'broker'] as const)
    .map(
      (k) =>
        `  ${k}: RSS before ${mib(report.rssBefore[k])}, peak ${mib(report.rssPeak[k])}, after ${mib(report.rssAfter[k])}`,
    )
    .join('\n');
  const errorLines = (['platform', 'broker'] as const).flatMap((k) =>
    report.errorLogs[k].map((l) => `  ${k}: ${l}`),
  );
  return [
    `seed ${report.seed}: ${report.packets} packets in ${report.cases} connections (${report.connections} at once), ` +
      `${(report.bytes / 1024 / 1024).toFixed(1)} MiB, ${(report.durationMs / 1000).toFixed(1)} s (${rate} packets/s)`,
    `  logins accepted: ${LOGIN_KINDS.map((k) => `${k} ${report.accepted[k]}`).join(', ')}`,
    rss,
    `  slow closes ${report.slowCloses}, stuck writes ${report.stuckWrites}, refused opens ${report.openErrors}`,
    `  server frames mqtt-packet could not decode: ${report.malformed.length}`,
    ...report.malformed.map((m) => `    ${m}`),
    `  error-level log lines: ${errorLines.length}`,
    ...errorLines.slice(0, 10),
    ...trips.map((t) => `  round trip ${t.what}: ${t.ok ? 'ok' : `FAILED ${t.error}`}`),
  ].join('\n');
}

/** The case as a ready-to-paste entry for REGRESSIONS (secrets replaced by placeholders). */
function describeCase(fuzzCase: FuzzCase, seed: number, logins: PlatformLogins): string {
  // Redact the whole stream (a secret may straddle two chunks), then cut it where the chunks were:
  // placeholders have the secrets' lengths.
  const stream = redact(Buffer.concat(fuzzCase.chunks), logins);
  let at = 0;
  const chunks = fuzzCase.chunks.map((chunk) => {
    at += chunk.length;
    return `      '${stream.subarray(at - chunk.length, at).toString('hex')}',`;
  });
  return [
    `// case ${fuzzCase.index}: ${fuzzCase.server} ${fuzzCase.transport} v${fuzzCase.version} ${fuzzCase.login}, ` +
      `${fuzzCase.packets.length} packets, ${fuzzCase.chunks.length} chunks, ending ${fuzzCase.ending}`,
    '  {',
    `    name: '… (seed ${seed}, case ${fuzzCase.index})',`,
    `    server: '${fuzzCase.server}',`,
    `    login: '${fuzzCase.login}',`,
    ...(fuzzCase.transport === 'ws' ? ["    transport: 'ws', // check whether TCP reproduces it too"] : []),
    `    ending: '${fuzzCase.ending}',`,
    '    chunks: [',
    ...chunks,
    '    ],',
    '  },',
  ].join('\n');
}

/**
 * Writes the crash details (server output, suspect cases as redacted hex) to a file and returns a
 * short text naming the seed, the case indexes and the replay command.
 */
export async function crashReport(report: RunReport, logins: PlatformLogins): Promise<string> {
  const crash = report.crash;
  if (crash === undefined) return '';
  const indexes = crash.suspects.map((c) => c.index);
  const path = join(tmpdir(), `devgate-fuzz-crash-${report.seed}-${indexes[0] ?? 'none'}.txt`);
  const body = [
    `${crash.why}`,
    `seed ${report.seed}; suspect cases (open first, then just finished): ${indexes.join(', ')}`,
    '--- server output (tail) ---',
    crash.output.slice(-64 * 1024),
    '--- suspect cases, as REGRESSIONS entries ---',
    ...crash.suspects.map((c) => describeCase(c, report.seed, logins)),
  ].join('\n');
  await writeFile(path, body);
  return [
    `CRASH: ${crash.why}`,
    `seed ${report.seed}, suspect case indexes (most likely first): ${indexes.join(', ')}`,
    `replay: npm run fuzz -- --seed ${report.seed} --case ${indexes.join(',')}`,
    `details and the cases as regression entries (hex chunks, secrets as placeholders): ${path}`,
    crash.output.slice(-4000),
  ].join('\n');
}
