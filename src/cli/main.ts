#!/usr/bin/env node
import { runBroker } from './broker-command.js';
import { MAIN_USAGE } from './help.js';
import { type CliIo, ExitCode, processIo } from './io.js';
import { runPasswd } from './passwd-command.js';
import { packageVersion } from './version.js';

/** Dispatches `devgate <command>`; resolves with the process exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'broker':
      return runBroker(rest, io);
    case 'passwd':
      return runPasswd(rest, io);
    case '-v':
    case '--version':
      io.stdout.write(`${packageVersion()}\n`);
      return ExitCode.Ok;
    case undefined:
    case '-h':
    case '--help':
      io.stdout.write(MAIN_USAGE);
      return ExitCode.Ok;
    default:
      io.stderr.write(`devgate: unknown command "${command}"\n\n${MAIN_USAGE}`);
      return ExitCode.Usage;
  }
}

// stdout/stderr are synchronous for files, pipes and terminals on POSIX: exiting loses nothing.
main(process.argv.slice(2), processIo()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`devgate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(ExitCode.Failure);
  },
);
