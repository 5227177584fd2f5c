import { isStoreUnavailable } from '../../store/errors.js';

/** Failures of the cluster's PostgreSQL components, each with a stable `code`. */
export class ClusterError extends Error {
  readonly code: string;
  /** The SQLSTATE PostgreSQL answered with, when it answered. */
  readonly sqlState: string | undefined;

  constructor(code: string, message: string, options?: ErrorOptions & { sqlState?: string }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.sqlState = options?.sqlState;
  }
}

/**
 * PostgreSQL could not be reached, is starting or stopping, is out of connections, timed out, or
 * kept aborting the statement on conflicts (deadlock, serialization): a later attempt may work.
 * A connection whose session claim failed this way is refused as server unavailable.
 */
export class ClusterUnavailableError extends ClusterError {
  constructor(what: string, options: ErrorOptions & { sqlState?: string }) {
    super(
      'CLUSTER_UNAVAILABLE',
      `${what}: the cluster database is unavailable (${reason(options.cause)})`,
      options,
    );
  }
}

/** The cluster tables are missing or not the expected shape (the schema was not migrated). */
export class ClusterSchemaError extends ClusterError {
  constructor(what: string, options: ErrorOptions & { sqlState?: string }) {
    super(
      'CLUSTER_SCHEMA',
      `${what}: the cluster tables are missing or outdated (${reason(options.cause)})`,
      options,
    );
  }
}

/** Any other refusal by PostgreSQL (a bug or an operator's change), with its SQLSTATE. */
export class ClusterQueryError extends ClusterError {
  constructor(what: string, options: ErrorOptions & { sqlState?: string }) {
    super(
      'CLUSTER_QUERY_FAILED',
      `${what}: PostgreSQL refused the statement (${reason(options.cause)})`,
      options,
    );
  }
}

/** More claims or releases wait than the queue holds (PostgreSQL slow or away). */
export class ClusterOverloadedError extends ClusterError {
  constructor(what: string, limit: number) {
    super('CLUSTER_OVERLOADED', `${what}: ${limit} requests already wait for the cluster database`);
  }
}

/** A call after close(): a shutdown-ordering bug. */
export class ClusterClosedError extends ClusterError {
  constructor(what: string) {
    super('CLUSTER_CLOSED', `${what} is closed`);
  }
}

function reason(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** SQLSTATEs of a schema that is not there: undefined table, column, function or object. */
const SCHEMA_STATES = new Set(['42P01', '42703', '42883', '42704']);

/** Conflicts PostgreSQL resolves by aborting one statement: running it again may succeed. */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === '40P01' || code === '40001';
}

/** The typed error for a failure of `what` (a driver or socket error, or already typed). */
export function toClusterError(what: string, err: unknown): ClusterError {
  if (err instanceof ClusterError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const options = { cause: err, ...(sqlState !== undefined && { sqlState }) };
  if (isStoreUnavailable(err)) return new ClusterUnavailableError(what, options);
  if (sqlState !== undefined && SCHEMA_STATES.has(sqlState)) return new ClusterSchemaError(what, options);
  if (sqlState !== undefined) return new ClusterQueryError(what, options);
  return new ClusterUnavailableError(what, options);
}
