import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, recordedArgs, USAGE } from './lib/args.js';
import { machineInfo } from './lib/machine.js';
import { Progress } from './lib/progress.js';
import { backlogReport } from './scenarios/backlog-report.js';
import { clusterReport } from './scenarios/cluster-report.js';
import { connectionsReport } from './scenarios/connections-report.js';
import { generatorReport, plainReport } from './scenarios/plain-report.js';
import { downlinkReport, ingestReport } from './scenarios/platform-report.js';
import {
  generatorCheck,
  type Results,
  scenarioBacklog,
  scenarioCluster,
  scenarioConnections,
  scenarioPlain,
  scenarioPlatform,
} from './suites.js';

/** Formats written results as the repository's linter wants them (best effort: skipped without biome). */
function formatWithBiome(files: readonly string[]): void {
  try {
    const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
    execFileSync(process.execPath, [biome, 'format', '--write', ...files], { stdio: 'ignore' });
  } catch {
    // not installed (production install): the files are still valid JSON and Markdown
  }
}

/** Source folder bench/ (this file runs from dist/bench/). */
const BENCH_SRC = fileURLToPath(new URL('../../bench/', import.meta.url));

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const args = parsed;
  if (args.cpuProfDir !== undefined) process.env.BENCH_CPU_PROF = args.cpuProfDir;
  const progress = new Progress();
  const started = new Date();
  const machine = machineInfo();
  const loadBefore = loadavg();
  const results: Results = {
    plain: [],
    generatorCheck: [],
    ingest: [],
    downlinks: [],
    connections: [],
    backlog: [],
    cluster: [],
  };
  progress.done(
    `devgate bench${args.quick ? ' --quick' : ''}: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}`,
  );
  if (args.scenarios.includes(1)) await scenarioPlain(args, progress, results);
  // The generator check belongs to scenario 1 (its cases and generator): not run without it.
  if (args.generatorCheck && args.scenarios.includes(1) && args.brokers.includes('mosquitto'))
    await generatorCheck(args, progress, results);
  if (args.brokers.includes('devgate') && (args.scenarios.includes(2) || args.scenarios.includes(3))) {
    await scenarioPlatform(args, progress, results);
  }
  if (args.scenarios.includes(4)) await scenarioConnections(args, progress, results);
  if (args.scenarios.includes(5)) await scenarioBacklog(args, progress, results);
  if (args.scenarios.includes(6) && args.brokers.includes('devgate'))
    await scenarioCluster(args, progress, results);
  const markdown = [
    `## Results ${started.toISOString()}${args.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, node ${machine.node}, mosquitto ${machine.mosquitto ?? 'not installed'}, aedes ${machine.aedes ?? 'not installed'}; load generator: ${args.workers} process(es); open files limit ${machine.openFilesLimit ?? 'unknown'}.`,
    `Load average (1 min) at start ${loadBefore[0]!.toFixed(2)}, at end ${loadavg()[0]!.toFixed(2)}: anything above ~0.3 means other work shared the cores and figures are noisier.`,
    '',
    results.plain.length > 0 ? plainReport(results.plain) : '',
    '',
    results.generatorCheck.length > 0 ? generatorReport(results.generatorCheck) : '',
    '',
    results.ingest.length > 0 ? ingestReport(results.ingest) : '',
    '',
    results.downlinks.length > 0 ? downlinkReport(results.downlinks) : '',
    '',
    results.connections.length > 0 ? connectionsReport(results.connections) : '',
    '',
    results.backlog.length > 0 ? backlogReport(results.backlog) : '',
    '',
    results.cluster.length > 0 ? clusterReport(results.cluster) : '',
  ].join('\n');
  const outDir = args.outDir ?? join(BENCH_SRC, 'results');
  mkdirSync(outDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const base = join(outDir, `${stamp}${args.quick ? '-quick' : ''}`);
  const load = { start: loadBefore, end: loadavg() };
  writeFileSync(
    `${base}.json`,
    `${JSON.stringify({ date: started.toISOString(), args: recordedArgs(args), machine, load, results }, null, 2)}\n`,
  );
  writeFileSync(`${base}.md`, `${markdown}\n`);
  formatWithBiome([`${base}.json`, `${base}.md`]);
  process.stdout.write(
    `\n${markdown}\n\nWritten: ${base}.json, ${base}.md (${((Date.now() - started.getTime()) / 1000).toFixed(0)} s)\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
