import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAedes } from './brokers/aedes.js';
import type { BrokerHandle, BrokerName } from './brokers/broker-process.js';
import { startDevgate } from './brokers/devgate.js';
import { startMosquitto } from './brokers/mosquitto.js';
import { type BenchArgs, parseArgs, USAGE } from './lib/args.js';
import { machineInfo } from './lib/machine.js';
import { Progress } from './lib/progress.js';
import { WorkerPool } from './lib/worker-pool.js';
import { type PlainResult, plainCases, runPlainCase } from './scenarios/plain.js';
import { plainReport } from './scenarios/plain-report.js';

/** Source folder bench/ (this file runs from dist/bench/). */
const BENCH_SRC = fileURLToPath(new URL('../../bench/', import.meta.url));

export function startBroker(name: BrokerName, args: BenchArgs): Promise<BrokerHandle> {
  switch (name) {
    case 'devgate':
      return startDevgate({ command: 'broker', ...(args.cpuProfDir === undefined ? {} : { cpuProfDir: args.cpuProfDir }) });
    case 'mosquitto':
      return startMosquitto();
    case 'aedes':
      return startAedes();
  }
}

interface Results {
  plain: PlainResult[];
  generatorCheck: PlainResult[];
}

/**
 * Scenario 1. All brokers run at once (idle ones cost nothing) and each case is run against them
 * back to back, so a disturbance on the machine hits them alike and the ratios stay comparable.
 */
async function scenarioPlain(args: BenchArgs, progress: Progress, results: Results): Promise<void> {
  const timing = args.quick
    ? { warmupMs: 1000, measureMs: 3000, latencyMs: 3000 }
    : { warmupMs: 2000, measureMs: 10_000, latencyMs: 10_000 };
  const pool = await WorkerPool.start(args.workers);
  const brokers: BrokerHandle[] = [];
  try {
    for (const name of args.brokers) {
      progress.step(`[1] starting ${name}`);
      brokers.push(await startBroker(name, args));
      if (name === 'devgate' && args.baselineCli !== undefined) {
        brokers.push(await startDevgate({ command: 'broker', cli: args.baselineCli, label: 'devgate-baseline' }));
      }
    }
    const cases = plainCases(!args.quick).filter((c) => args.caseFilter === undefined || c.id.includes(args.caseFilter));
    for (const c of cases) {
      const scaled = { ...c, window: Math.max(1, Math.round(c.window * args.windowScale)) };
      for (const broker of brokers) {
        const result = await runPlainCase(pool, broker, scaled, timing, progress);
        results.plain.push(result);
        const t = result.throughput;
        progress.done(
          `[1] ${c.name.padEnd(26)} ${broker.label.padEnd(10)} ${t === undefined ? `error: ${result.error}` : `${Math.round(t.deliveredPerSec).toLocaleString('en-US')} msg/s (broker CPU ${Math.round(t.brokerCpu)} %)`}`,
        );
      }
    }
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
    await pool.close();
  }
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const args = parsed;
  const progress = new Progress();
  const started = new Date();
  const machine = machineInfo();
  const results: Results = { plain: [], generatorCheck: [] };
  progress.done(`devgate bench${args.quick ? ' --quick' : ''}: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}`);
  if (args.scenarios.includes(1)) await scenarioPlain(args, progress, results);
  const markdown = [
    `## Results ${started.toISOString()}${args.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, node ${machine.node}, mosquitto ${machine.mosquitto ?? 'not installed'}, aedes ${machine.aedes ?? 'not installed'}; load generator: ${args.workers} processes.`,
    '',
    results.plain.length > 0 ? plainReport(results.plain) : '',
  ].join('\n');
  const outDir = args.outDir ?? join(BENCH_SRC, 'results');
  mkdirSync(outDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const base = join(outDir, `${stamp}${args.quick ? '-quick' : ''}`);
  writeFileSync(`${base}.json`, `${JSON.stringify({ date: started.toISOString(), args, machine, results }, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${markdown}\n`);
  process.stdout.write(`\n${markdown}\n\nWritten: ${base}.json, ${base}.md (${((Date.now() - started.getTime()) / 1000).toFixed(0)} s)\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
