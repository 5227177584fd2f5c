import { migrateToPostgres } from '../backup/migrate-to-postgres.js';
import { ConfigError } from '../config/load.js';
import { databaseUrlOf, guarded, parse, readSourceKey, startPathsOf } from './backup-command.js';
import { type CliIo, ExitCode } from './io.js';

export const MIGRATE_TO_USAGE = `Usage: devgate migrate-to --database-url <url> [--force] [--data-dir <dir>] [--config <file>]

Copies everything the data directory's SQLite stores hold (platform data with history, firmware
files, persistent sessions and retained messages) into an empty PostgreSQL database, in one
transaction: what 'devgate export' and 'devgate import --database-url' do, without an archive
file. Stop the server first (the data directory is locked meanwhile). The SQLite files stay as
they were; secret.key stays in the data directory, where the server on PostgreSQL reads it.
  --database-url <url>  the target database (DEVGATE_DATABASE_URL)
  --force               replace the data the database already holds
Docs: docs/storage.md (Moving to PostgreSQL)
`;

/** `devgate migrate-to --database-url URL`. */
export async function runMigrateTo(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const parsed = parse(argv, { force: 'boolean', 'database-url': 'string' });
  if (typeof parsed !== 'string' && parsed.values.help === true) {
    io.stdout.write(MIGRATE_TO_USAGE);
    return ExitCode.Ok;
  }
  if (typeof parsed === 'string' || parsed.positionals.length > 0) {
    const why = typeof parsed === 'string' ? parsed : `unexpected argument ${parsed.positionals[0]}`;
    io.stderr.write(`devgate migrate-to: ${why}\n\n${MIGRATE_TO_USAGE}`);
    return ExitCode.Usage;
  }
  return guarded(io, MIGRATE_TO_USAGE, async () => {
    const { dataDir, keyFile } = startPathsOf(parsed.values, io);
    const databaseUrl = databaseUrlOf(parsed.values, io);
    if (databaseUrl === undefined)
      throw new ConfigError('expected --database-url <url> (or DEVGATE_DATABASE_URL)');
    // A directory without its key is not a started devgate one (and the tokens would be lost).
    const tokenKey = await readSourceKey(keyFile);
    const summary = await migrateToPostgres({
      dataDir,
      tokenKey,
      databaseUrl,
      force: parsed.values.force === true,
    });
    io.stdout.write(
      `copied ${summary.records} records and ${summary.firmwareFiles} firmware files from ${dataDir} ` +
        `into ${summary.target}\n`,
    );
  });
}
