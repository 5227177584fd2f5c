/** Failures of the engine stores. Each carries a stable `code` the CLI can map to an exit message. */
export class StoreError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A write, flush or load on a store that was already closed: a shutdown-ordering bug. */
export class StoreClosedError extends StoreError {
  constructor(what: string) {
    super('STORE_CLOSED', `${what} is closed`);
  }
}

/** The file was written by a newer devgate: its schema version is above the newest one we know. */
export class StoreVersionError extends StoreError {
  readonly file: string;
  readonly foundVersion: number;
  readonly supportedVersion: number;

  constructor(
    file: string,
    foundVersion: number,
    supportedVersion: number,
    elsewhere = 'point --data-dir elsewhere',
  ) {
    super(
      'STORE_VERSION_TOO_NEW',
      `${file} has schema version ${foundVersion}, newer than the ${supportedVersion} this devgate ` +
        `supports; upgrade devgate or ${elsewhere}`,
    );
    this.file = file;
    this.foundVersion = foundVersion;
    this.supportedVersion = supportedVersion;
  }
}

/** The file is not a readable database (not SQLite, or damaged). */
export class StoreCorruptError extends StoreError {
  readonly file: string;

  constructor(file: string, options?: ErrorOptions) {
    super('STORE_CORRUPT', `${file} is not a valid devgate database (corrupt or not SQLite)`, options);
    this.file = file;
  }
}

/** A batch of writes could not be committed; those writes are lost. */
export class StoreWriteError extends StoreError {
  constructor(message: string, options?: ErrorOptions) {
    super('STORE_WRITE_FAILED', message, options);
  }
}

/** The database server could not be reached or refused the connection (PostgreSQL). */
export class StoreUnavailableError extends StoreError {
  constructor(where: string, options: ErrorOptions & { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super('STORE_UNAVAILABLE', `cannot use the database at ${where}: ${reason}`, options);
  }
}

/** The secret key given is not the one the database's tokens were sealed with. */
export class StoreKeyMismatchError extends StoreError {
  constructor(where: string) {
    super(
      'STORE_KEY_MISMATCH',
      `${where} was set up with another secret key: pass the key file of the first devgate on this ` +
        'database with --secret-key-file (device tokens are encrypted under it)',
    );
  }
}

/** Socket-level failures of a database connection (the server restarting, the network cut). */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The driver's own words for a connection it lost, never got, or may no longer use. */
const CONNECTION_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|query read timeout|cannot use a pool after calling end|client has encountered a connection error|connection (is )?closed/i;

/**
 * A failure a later attempt may not meet because it came from the database's availability, not
 * from the request: the connection failed, was refused or timed out, a connection exception
 * (SQLSTATE class 08), PostgreSQL shutting down or starting (57P01-57P03), too many connections
 * (53300), a serialization failure or deadlock (40001, 40P01), or the store itself reporting
 * it cannot be used (StoreUnavailableError).
 */
export function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (CONNECTION_ERRNOS.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return /^08|^57P0[123]$|^53300$|^40001$|^40P01$/.test(code);
  }
  return CONNECTION_MESSAGES.test(err.message);
}
