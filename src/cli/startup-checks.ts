import { constants } from 'node:fs';
import { access, readFile, rmdir, stat } from 'node:fs/promises';
import { AuthFileError } from '../auth/errors.js';
import type { ServerConfig } from '../config/server-config.js';
import { ListenError, probeListeners } from '../mqtt/transport/listen-error.js';
import { checkPair, TlsFileError } from '../mqtt/transport/tls-credentials.js';
import type { Logger } from '../observability/logger.js';
import { DataFileError } from '../platform/admin-bootstrap.js';
import { acquireDataDirLock, type DataDirLock, DataDirLockedError } from '../store/data-dir-lock.js';
import { DataDirError, preparePrivateDir } from '../store/private-files.js';
import { type CliIo, ExitCode } from './io.js';

/** A start-up problem the operator fixes (a path, a permission): one line, exit code 2. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** What errno says, in words an operator reads ("permission denied", "no such file"). */
function reasonOf(err: unknown): string {
  const { code, message } = err as NodeJS.ErrnoException;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EISDIR':
      return 'is a directory';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    default:
      return message;
  }
}

const FILE_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'EROFS', 'ENOSPC', 'ELOOP']);

function isFileProblem(err: unknown): boolean {
  return FILE_CODES.has((err as NodeJS.ErrnoException).code ?? '');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Makes the data directory (0700) and checks this user may read and write it. */
async function prepareDataDir(dataDir: string): Promise<void> {
  try {
    await preparePrivateDir(dataDir);
    await access(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    if (err instanceof DataDirError || !isFileProblem(err)) throw err;
    throw new StartupError(`cannot use data directory ${dataDir} (--data-dir): ${reasonOf(err)}`);
  }
}

async function readTlsFile(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if (!isFileProblem(err)) throw err;
    throw new StartupError(`cannot read ${flag} ${path}: ${reasonOf(err)}`);
  }
}

/** A configured certificate and key must be readable PEM that belong together (the check reload uses too). */
async function checkTlsFiles(config: ServerConfig): Promise<void> {
  const tlsOn = config.mqttsPort !== null || config.httpsPorts.length > 0;
  if (!tlsOn || config.tlsCert === undefined || config.tlsKey === undefined) return;
  const cert = await readTlsFile(config.tlsCert, '--tls-cert');
  const key = await readTlsFile(config.tlsKey, '--tls-key');
  checkPair({ certPath: config.tlsCert, keyPath: config.tlsKey }, cert, key);
}

/**
 * Everything a start can get wrong from the operator's side, checked before a database is opened
 * or a file written: the data directory is usable and not in use by another process (the lock,
 * kept until `release`), the TLS files are readable, and every fixed port can be bound. On
 * failure the lock is released and a data directory this call created is removed again (if empty).
 */
export async function preflight(config: ServerConfig, command: 'start' | 'broker'): Promise<DataDirLock> {
  const { dataDir } = config;
  const fresh = !(await exists(dataDir));
  await prepareDataDir(dataDir);
  let lock: DataDirLock | undefined;
  try {
    lock = acquireDataDirLock(dataDir, { command, hint: 'stop it first or use another --data-dir' });
    await checkTlsFiles(config);
    await probeListeners(config);
    return lock;
  } catch (err) {
    lock?.release();
    if (fresh) await rmdir(dataDir).catch(() => undefined);
    throw err;
  }
}

/** Errors whose message is the whole story for the operator: no stack, exit code 2. */
export function isOperatorError(err: unknown): err is Error {
  return (
    err instanceof StartupError ||
    err instanceof ListenError ||
    err instanceof DataDirLockedError ||
    err instanceof DataDirError ||
    err instanceof DataFileError ||
    err instanceof AuthFileError ||
    err instanceof TlsFileError
  );
}

/** Reports a failed start: one line for an operator error (2), the logged stack for a bug (1). */
export function reportStartFailure(io: CliIo, command: string, err: unknown, logger: Logger): ExitCode {
  if (isOperatorError(err)) {
    io.stderr.write(`devgate ${command}: ${err.message}\n`);
    return ExitCode.Usage;
  }
  logger.fatal({ err }, 'devgate failed to start');
  io.stderr.write(`devgate ${command}: failed to start: ${(err as Error).message}\n`);
  return ExitCode.Failure;
}
