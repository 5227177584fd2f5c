import type { BrokerName } from '../brokers/broker-process.js';

export interface BenchArgs {
  readonly quick: boolean;
  /** Scenario numbers to run (1..6; 6 only with a database URL). */
  readonly scenarios: readonly number[];
  readonly brokers: readonly BrokerName[];
  /** Load-generator processes. */
  readonly workers: number;
  /** Where devgate writes a V8 CPU profile per broker start (node --cpu-prof). */
  readonly cpuProfDir?: string;
  /** Scenario 4 connection counts. */
  readonly connections: readonly number[];
  /** Re-run scenario 1 against mosquitto with 1 and 2 generator processes. */
  readonly generatorCheck: boolean;
  readonly outDir?: string;
  /** Multiplies every closed-loop window (tuning aid). */
  readonly windowScale: number;
  /** Only run the cases (scenarios 1, 2, 3 and 5) whose id contains this. */
  readonly caseFilter?: string;
  /** Another devgate build's CLI, run as broker `devgate-baseline` beside devgate (before/after). */
  readonly baselineCli?: string;
  /** Scenarios 2 and 3: where `devgate start` keeps the platform, each in turn in one run. */
  readonly backends: ReadonlyArray<'sqlite' | 'postgres'>;
  /** Scenarios 2 and 3 on PostgreSQL: a throwaway database; scenario 6: the server for fresh ones. */
  readonly databaseUrl?: string;
}

export const USAGE = `Usage: npm run bench -- [options]

  --quick                 short run (about 6 minutes): fewer cases, shorter phases, smaller backlogs
  --scenarios 1,2,3,4,5,6 which scenarios (default: all; 6, the cluster, needs --database-url)
  --brokers devgate,mosquitto,aedes
  --workers N             load-generator processes (default 1: on 2 cores the broker gets one)
  --connections 10000,19000   scenario 4 sizes (default: 5000 quick, 10000,19000,50000,100000
                          full; above 19000 only devgate start with socket workers runs)
  --generator-check       scenario 1 against mosquitto with 1 and 2 generator processes
  --cpu-prof DIR          devgate writes a CPU profile per start into DIR
  --out DIR               results directory (default bench/results)
  --case ID               only cases whose id contains ID (p2p-q0, fanin, devices-q1, gateway,
                          backlog-live, backlog-offline, …)
  --window-scale X        multiply the closed-loop windows (tuning)
  --baseline-cli PATH     also run another devgate build (its dist/src/cli/main.js) as
                          "devgate-baseline", interleaved with devgate (before/after figures)
  --backend sqlite,postgres   scenarios 2 and 3: the platform's database, each in turn (default
                          sqlite, and postgres too when --database-url is given)
  --database-url URL      a throwaway PostgreSQL database (devices are created there once,
                          value tables are truncated before every case); scenario 6 creates a
                          fresh database per cluster on this server and drops it after
`;

function list(value: string | undefined, flag: string): string[] {
  if (value === undefined) throw new Error(`${flag} needs a value`);
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function parseArgs(argv: readonly string[]): BenchArgs | 'help' {
  let quick = false;
  let scenarios = [1, 2, 3, 4, 5, 6];
  let brokers: BrokerName[] = ['devgate', 'mosquitto', 'aedes'];
  let workers = 1;
  let connections: number[] | undefined;
  let generatorCheck = false;
  let cpuProfDir: string | undefined;
  let outDir: string | undefined;
  let windowScale = 1;
  let caseFilter: string | undefined;
  let baselineCli: string | undefined;
  let backendList: string[] | undefined;
  let databaseUrl: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = (): string | undefined => argv[++i];
    if (arg === '--help' || arg === '-h') return 'help';
    else if (arg === '--quick') quick = true;
    else if (arg === '--scenarios') scenarios = list(next(), arg).map(Number);
    else if (arg === '--brokers') brokers = list(next(), arg) as BrokerName[];
    else if (arg === '--workers') workers = Number(next());
    else if (arg === '--connections') connections = list(next(), arg).map(Number);
    else if (arg === '--generator-check') generatorCheck = true;
    else if (arg === '--cpu-prof') cpuProfDir = next();
    else if (arg === '--out') outDir = next();
    else if (arg === '--window-scale') windowScale = Number(next());
    else if (arg === '--case') caseFilter = next();
    else if (arg === '--baseline-cli') baselineCli = next();
    else if (arg === '--backend') backendList = list(next(), arg);
    else if (arg === '--database-url') databaseUrl = next();
    else throw new Error(`unknown option ${arg}\n\n${USAGE}`);
  }
  for (const b of brokers)
    if (!['devgate', 'devgate-workers', 'mosquitto', 'aedes'].includes(b))
      throw new Error(`unknown broker ${b}`);
  if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be a positive integer');
  const backends = backendList ?? (databaseUrl === undefined ? ['sqlite'] : ['sqlite', 'postgres']);
  for (const b of backends)
    if (b !== 'sqlite' && b !== 'postgres') throw new Error('--backend must be sqlite or postgres');
  if (backends.includes('postgres') && databaseUrl === undefined)
    throw new Error('--backend postgres needs --database-url');
  return {
    quick,
    scenarios,
    brokers,
    workers,
    connections: connections ?? (quick ? [5000] : [10_000, 19_000, 50_000, 100_000]),
    generatorCheck: generatorCheck || !quick,
    ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
    ...(outDir === undefined ? {} : { outDir }),
    windowScale,
    ...(caseFilter === undefined ? {} : { caseFilter }),
    ...(baselineCli === undefined ? {} : { baselineCli }),
    backends: backends as Array<'sqlite' | 'postgres'>,
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
  };
}

/** The arguments as written into the results file: a database URL without its password. */
export function recordedArgs(args: BenchArgs): BenchArgs {
  if (args.databaseUrl === undefined) return args;
  const url = new URL(args.databaseUrl);
  if (url.password !== '') url.password = '***';
  return { ...args, databaseUrl: url.toString() };
}
