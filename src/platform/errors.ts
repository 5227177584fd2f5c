import { isStoreUnavailable } from '../store/errors.js';

/**
 * Platform failures, each with a stable code and the HTTP status it maps to. The HTTP layer turns
 * them into `{"error":{"message":…}}`; the MQTT layers into reason codes.
 */
export class PlatformError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** Missing, or outside the caller's organization subtree: the two are indistinguishable by design. */
export class NotFoundError extends PlatformError {
  constructor(message: string) {
    super('NOT_FOUND', 404, message);
  }
}

/** Input that breaks a documented rule (name too long, bad datastream definition, …). */
export class ValidationError extends PlatformError {
  constructor(message: string) {
    super('VALIDATION', 400, message);
  }
}

/** A uniqueness or state conflict (duplicate name, org with children, claimed token). */
export class ConflictError extends PlatformError {
  constructor(message: string) {
    super('CONFLICT', 409, message);
  }
}

/** Authenticated, but not allowed to do this. */
export class ForbiddenError extends PlatformError {
  constructor(message: string) {
    super('FORBIDDEN', 403, message);
  }
}

/** Missing or invalid credentials (bearer token, client secret). */
export class UnauthorizedError extends PlatformError {
  constructor(message: string) {
    super('UNAUTHORIZED', 401, message);
  }
}

/**
 * Whether a failure came from the platform's database being unavailable (down, restarting,
 * unreachable), not from the request: the HTTP API answers it 503, the MQTT side as the server's
 * failure.
 */
export function isStorageUnavailable(err: unknown): boolean {
  return isStoreUnavailable(err);
}
