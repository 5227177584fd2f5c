import type { ConfigCommand } from '../config/config-file.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { PRINT_CONFIG_FLAG } from '../config/options.js';
import { describeSettings } from '../config/print-config.js';
import { loadStartConfig } from '../config/start-config.js';
import { type CliIo, ExitCode } from './io.js';

/** True when the command line asks for `--print-config`. */
export function wantsPrintConfig(argv: readonly string[]): boolean {
  return argv.includes(`--${PRINT_CONFIG_FLAG}`);
}

/**
 * `devgate start|broker --print-config`: checks the settings as a start would (exit 2 with the
 * reason when they are unusable), prints them with their sources, and exits 0 without starting.
 */
export function runPrintConfig(command: ConfigCommand, argv: readonly string[], io: CliIo): ExitCode {
  const sources = { argv, env: io.env, cwd: io.cwd };
  try {
    if (command === 'start') loadStartConfig(sources);
    else loadConfig(sources);
    io.stdout.write(describeSettings(sources, command));
    return ExitCode.Ok;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`devgate ${command}: ${err.message}\nRun 'devgate ${command} --help' for the options.\n`);
    return ExitCode.Usage;
  }
}
