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
