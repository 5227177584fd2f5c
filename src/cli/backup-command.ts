import { resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ArchiveError } from '../backup/archive-format.js';
import type { ArchiveSource } from '../backup/archive-store.js';
import { writeArchive } from '../backup/export-archive.js';
import { importArchive } from '../backup/import-archive.js';
import { openPostgresArchiveSink } from '../backup/postgres-archive-sink.js';
import { openPostgresArchiveSource } from '../backup/postgres-archive-source.js';
import { openSqliteArchiveSink } from '../backup/sqlite-archive-sink.js';
import { openSqliteArchiveSource } from '../backup/sqlite-archive-source.js';
import { ConfigError } from '../config/load.js';
import { loadStartConfig } from '../config/start-config.js';
import { DataFileError, readKeyFile } from '../lib/secret-key-file.js';
import { packageVersion } from '../lib/version.js';
import { StoreError } from '../store/errors.js';
import { type CliIo, ExitCode } from './io.js';

export const EXPORT_USAGE = `Usage: devgate export --out <file> [--no-history] [--include-key] [--database-url <url>]
                      [--data-dir <dir>] [--secret-key-file <path>] [--config <file>]

Writes a gzip'd archive of all platform data (orgs, templates, devices with their sealed tokens,
OAuth clients, static tokens, values, history, events, metadata, firmware files) and of the
broker's persistent sessions and retained messages. Safe while a server runs: every database is
read as one snapshot. The file is created with mode 0600; tokens stay hashed/encrypted in it.
  --no-history          leave out datastream history
  --include-key         put secret.key into the archive (then the archive alone restores
                        everything, and must be kept as secret as the data directory)
  --database-url <url>  read the stores from this PostgreSQL database (DEVGATE_DATABASE_URL)
                        instead of the data directory's SQLite files
  --secret-key-file <path>  the key tokens are sealed with (DEVGATE_SECRET_KEY_FILE; default
                        <data-dir>/secret.key)
Docs: docs/operations.md (Backup and restore)
`;

export const IMPORT_USAGE = `Usage: devgate import <file> [--force] [--database-url <url>] [--data-dir <dir>]
                      [--secret-key-file <path>] [--config <file>]

Loads an archive written by 'devgate export' into an empty data directory (no server may run on
it), or into an empty PostgreSQL database. The target needs the source's secret.key in the data
directory, unless the archive carries it (--include-key).
  --force               replace the data the target already holds
  --database-url <url>  load into this PostgreSQL database (DEVGATE_DATABASE_URL); the data
                        directory is locked meanwhile
  --secret-key-file <path>  the target's key (DEVGATE_SECRET_KEY_FILE; default
                        <data-dir>/secret.key); written there when absent and the archive
                        carries one
Docs: docs/operations.md (Backup and restore)
`;

/** Environment variable of --database-url (as for `devgate broker`). */
export const DATABASE_URL_ENV = 'DEVGATE_DATABASE_URL';

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | ReadonlyArray<string | boolean> | undefined>>;
  readonly positionals: readonly string[];
}

export function parse(
  argv: readonly string[],
  flags: Readonly<Record<string, 'string' | 'boolean'>>,
): Parsed | string {
  const options: NonNullable<ParseArgsConfig['options']> = {
    'data-dir': { type: 'string' },
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  options['secret-key-file'] = { type: 'string' };
  for (const [name, type] of Object.entries(flags)) options[name] = { type };
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, allowNegative: true, strict: true });
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The data directory and the secret key file as `devgate start` resolves them (flag, environment,
 * config file, default).
 */
export function startPathsOf(values: Parsed['values'], io: CliIo): { dataDir: string; keyFile: string } {
  const argv: string[] = [];
  for (const name of ['data-dir', 'config', 'secret-key-file']) {
    const value = values[name];
    if (typeof value === 'string') argv.push(`--${name}`, value);
  }
  // The database URL is this command's own choice of stores, not a setting of `devgate start`.
  const { [DATABASE_URL_ENV]: _url, ...env } = io.env;
  const config = loadStartConfig({ argv, env, cwd: io.cwd });
  return { dataDir: config.server.dataDir, keyFile: config.secretKeyFile };
}

/** --database-url, else DEVGATE_DATABASE_URL; undefined for the data directory's SQLite stores. */
export function databaseUrlOf(values: Parsed['values'], io: CliIo): string | undefined {
  const flag = values['database-url'];
  const url = typeof flag === 'string' ? flag : io.env[DATABASE_URL_ENV];
  if (url === undefined || url === '') return undefined;
  if (!/^postgres(ql)?:\/\/./i.test(url))
    throw new ConfigError('--database-url must be a postgres:// or postgresql:// URL');
  return url;
}

/** The source's key; ArchiveError when there is none (never started, or not a devgate one). */
export async function readSourceKey(keyFile: string): Promise<Buffer> {
  const key = await readKeyFile(keyFile);
  if (key === undefined)
    throw new ArchiveError(
      `${keyFile} does not exist: the data directory was never started, or is not a devgate one`,
    );
  return key;
}

/** Runs one command body; known failures print one line and exit 1, bad usage exits 2. */
export async function guarded(io: CliIo, usage: string, run: () => Promise<void>): Promise<ExitCode> {
  try {
    await run();
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`devgate: ${err.message}\n\n${usage}`);
      return ExitCode.Usage;
    }
    if (err instanceof ArchiveError || err instanceof StoreError || err instanceof DataFileError) {
      io.stderr.write(`devgate: ${err.message}\n`);
      return ExitCode.Failure;
    }
    throw err;
  }
}

/** `devgate export --out FILE`. */
export async function runExport(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const parsed = parse(argv, {
    out: 'string',
    history: 'boolean',
    'include-key': 'boolean',
    'database-url': 'string',
  });
  if (typeof parsed !== 'string' && parsed.values.help === true) {
    io.stdout.write(EXPORT_USAGE);
    return ExitCode.Ok;
  }
  const out = typeof parsed === 'string' ? undefined : parsed.values.out;
  if (typeof parsed === 'string' || typeof out !== 'string' || parsed.positionals.length > 0) {
    io.stderr.write(
      `devgate export: ${typeof parsed === 'string' ? parsed : 'expected --out <file>'}\n\n${EXPORT_USAGE}`,
    );
    return ExitCode.Usage;
  }
  return guarded(io, EXPORT_USAGE, async () => {
    const { dataDir, keyFile } = startPathsOf(parsed.values, io);
    const url = databaseUrlOf(parsed.values, io);
    const tokenKey = await readSourceKey(keyFile);
    const history = parsed.values.history !== false;
    const source: ArchiveSource =
      url === undefined
        ? openSqliteArchiveSource(dataDir, { history })
        : await openPostgresArchiveSource(url, { history });
    try {
      const summary = await writeArchive(source, {
        out: resolve(io.cwd, out),
        history,
        tokenKey,
        includeKey: parsed.values['include-key'] === true,
        devgateVersion: packageVersion(),
      });
      io.stdout.write(`exported ${summary.records} records (${summary.bytes} bytes) to ${out}\n`);
    } finally {
      await source.close();
    }
  });
}

/** `devgate import FILE`. */
export async function runImport(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const parsed = parse(argv, { force: 'boolean', 'database-url': 'string' });
  if (typeof parsed !== 'string' && parsed.values.help === true) {
    io.stdout.write(IMPORT_USAGE);
    return ExitCode.Ok;
  }
  const file = typeof parsed === 'string' ? undefined : parsed.positionals[0];
  if (typeof parsed === 'string' || file === undefined || parsed.positionals.length > 1) {
    io.stderr.write(
      `devgate import: ${typeof parsed === 'string' ? parsed : 'expected one <file>'}\n\n${IMPORT_USAGE}`,
    );
    return ExitCode.Usage;
  }
  return guarded(io, IMPORT_USAGE, async () => {
    const { dataDir, keyFile } = startPathsOf(parsed.values, io);
    const url = databaseUrlOf(parsed.values, io);
    const summary = await importArchive({
      dataDir,
      keyFile,
      file: resolve(io.cwd, file),
      force: parsed.values.force === true,
      openSink: async (key) =>
        url === undefined ? openSqliteArchiveSink(dataDir, key) : openPostgresArchiveSink(url, key),
    });
    const key = summary.keyWritten ? `; wrote ${keyFile}` : '';
    io.stdout.write(
      `imported ${summary.records} records and ${summary.firmwareFiles} firmware files into ${summary.target}${key}\n`,
    );
  });
}
