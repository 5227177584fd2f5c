import type { FastifyRequest } from 'fastify';
import { type AuthAttempt, type AuthThrottle, retryAfterSeconds } from '../auth/throttle/auth-throttle.js';
import { peerOf } from '../mqtt/transport/peer.js';

/** Refused by failed-login throttling: 429 with `Retry-After` (RFC 6585 §4), before any secret check. */
export class ThrottledError extends Error {
  readonly retryAfterSec: number;

  constructor(retryAfterMs: number) {
    super('Too many failed attempts. Retry later.');
    this.name = 'ThrottledError';
    this.retryAfterSec = retryAfterSeconds(retryAfterMs);
  }
}

/**
 * The HTTP side of the failed-login throttle (decision 0009): `guard` before a secret or token is
 * checked, `failed` / `succeeded` after. Absent throttle: every call is a no-op.
 */
export class HttpThrottle {
  /** Admitted checks not yet reported as failed or succeeded; {@link release}d when the request ends. */
  readonly #pending = new WeakMap<FastifyRequest, AuthAttempt>();

  constructor(private readonly throttle: AuthThrottle | undefined) {}

  /** Throws {@link ThrottledError} when the caller's address (or its guesses at `credential`) is throttled. */
  guard(request: FastifyRequest, credential?: string): void {
    if (this.throttle === undefined) return;
    this.release(request);
    const attempt: AuthAttempt = { channel: 'http', address: peerOf(request.socket).address, credential };
    const verdict = this.throttle.check(attempt);
    if (!verdict.allowed) throw new ThrottledError(verdict.retryAfterMs);
    this.#pending.set(request, attempt);
  }

  failed(request: FastifyRequest): void {
    const attempt = this.#take(request);
    if (attempt !== undefined) this.throttle?.failed(attempt);
  }

  succeeded(request: FastifyRequest): void {
    const attempt = this.#take(request);
    if (attempt !== undefined) this.throttle?.succeeded(attempt);
  }

  /** The request ended (answered or aborted): a check still pending ended neither way. */
  release(request: FastifyRequest): void {
    const attempt = this.#take(request);
    if (attempt !== undefined) this.throttle?.released(attempt);
  }

  #take(request: FastifyRequest): AuthAttempt | undefined {
    const attempt = this.#pending.get(request);
    if (attempt !== undefined) this.#pending.delete(request);
    return attempt;
  }
}
