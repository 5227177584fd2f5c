import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within } from './wait.js';

/** The built CLI next to the compiled tests (works in dist/ and in private build folders). */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A `devgate` child process and everything it printed so far. */
export interface Cli {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
  /** How long `cliExit` and `cliStarted` wait. */
  readonly timeoutMs: number;
}

export interface SpawnCliOptions {
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  /** Keep stdin an open pipe even without `input` (by default it is ignored). */
  readonly pipeStdin?: boolean;
  /**
   * Added to this process's environment, after `DEVGATE_LOG_FORMAT=pretty` (the summary and logs on
   * stdout, as at a terminal); `DEVGATE_LOG_FORMAT: ''` restores the default (JSON off a terminal).
   */
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
  /** Lowers the child's open-files limit (`ulimit -n`, through /bin/sh). */
  readonly openFilesLimit?: number;
  /** Runs the CLI as this user (`runuser -u USER --`; the test must run as root). */
  readonly runAs?: string;
}

function commandLine(args: readonly string[], options: SpawnCliOptions): [string, string[]] {
  const limited = options.openFilesLimit;
  if (limited !== undefined) {
    return ['/bin/sh', ['-c', `ulimit -n ${limited} && exec "$0" "$@"`, process.execPath, CLI_MAIN, ...args]];
  }
  if (options.runAs !== undefined) {
    return ['runuser', ['-u', options.runAs, '--', process.execPath, CLI_MAIN, ...args]];
  }
  return [process.execPath, [CLI_MAIN, ...args]];
}

/** Runs the built CLI with `args`; killed after the test if still running. */
export function spawnCli(t: TestContext, args: readonly string[], options: SpawnCliOptions = {}): Cli {
  const stdin = options.input !== undefined || options.pipeStdin === true ? 'pipe' : 'ignore';
  const [command, commandArgs] = commandLine(args, options);
  const child = spawn(command, commandArgs, {
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...process.env, DEVGATE_LOG_FORMAT: 'pretty', ...options.env },
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (options.input !== undefined) child.stdin!.end(options.input);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output, exited, timeoutMs: options.timeoutMs ?? 10_000 };
}

/** The exit code, once the CLI exited. */
export function cliExit(cli: Cli): Promise<number | null> {
  return within(cli.exited, cli.timeoutMs, `devgate to exit (stderr: ${cli.output.stderr})`);
}

/**
 * Resolves once the CLI printed its last start-up line (written after listeners.json): on stdout,
 * or on stderr when the logs are JSON.
 */
export async function cliStarted(cli: Cli, what: string): Promise<void> {
  await within(
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (`${cli.output.stdout}${cli.output.stderr}`.includes('Press Ctrl+C to stop.')) resolve();
      };
      cli.child.stdout!.on('data', check);
      cli.child.stderr!.on('data', check);
      cli.child.once('exit', (code) => reject(new Error(`exited with ${code}: ${cli.output.stderr}`)));
      check();
    }),
    cli.timeoutMs,
    what,
  );
}

/** A JSON file the server wrote into its data directory (listeners.json, demo.json, ...). */
export async function readDataFile<T>(dataDir: string, name: string): Promise<T> {
  return JSON.parse(await readFile(join(dataDir, name), 'utf8')) as T;
}

/** Listen on 127.0.0.1: MQTT on a free port, HTTP on a free port or off, no TLS listeners. */
export function localPortArgs(http: '0' | 'off'): string[] {
  return [
    '--host',
    '127.0.0.1',
    '--mqtt-port',
    '0',
    '--mqtts-port',
    'off',
    '--http-port',
    http,
    '--https-port',
    'off',
  ];
}
