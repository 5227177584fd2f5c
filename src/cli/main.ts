#!/usr/bin/env node
import { packageVersion } from '../lib/version.js';
import { runApply } from './apply-command.js';
import { runExport, runImport } from './backup-command.js';
import { runBroker } from './broker-command.js';
import { MAIN_USAGE } from './help.js';
import { type CliIo, ExitCode, processIo } from './io.js';
import { RESOURCES, runManage } from './manage-command.js';
import { runMigrateTo } from './migrate-command.js';
import { runPasswd } from './passwd-command.js';
import { runStart } from './start-command.js';

/** Dispatches `devgate <command>`; resolves with the process exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [command, ...rest] = argv;
  const resource = command === undefined ? undefined : RESOURCES[command];
  if (resource !== undefined) return runManage(resource, rest, io);
  switch (command) {
    case 'start':
      return runStart(rest, io);
    case 'apply':
      return runApply(rest, io);
    case 'broker':
      return runBroker(rest, io);
    case 'passwd':
      return runPasswd(rest, io);
    case 'export':
      return runExport(rest, io);
    case 'import':
      return runImport(rest, io);
    case 'migrate-to':
      return runMigrateTo(rest, io);
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

/** Exits once stdout and stderr have flushed: a large `--json` answer read through a pipe is never cut. */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2), processIo()).then(exitAfterFlush, (err: unknown) => {
  process.stderr.write(`devgate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  exitAfterFlush(ExitCode.Failure);
});
