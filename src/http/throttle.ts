import type { FastifyRequest } from 'fastify';
import { type AuthThrottle, retryAfterSeconds } from '../auth/throttle/auth-throttle.js';

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
  constructor(private readonly throttle: AuthThrottle | undefined) {}

  /** Throws {@link ThrottledError} when the caller's address (or its guesses at `credential`) is throttled. */
  guard(request: FastifyRequest, credential?: string): void {
    const verdict = this.throttle?.check(this.#attempt(request, credential));
    if (verdict !== undefined && !verdict.allowed) throw new ThrottledError(verdict.retryAfterMs);
  }

  failed(request: FastifyRequest, credential?: string): void {
    this.throttle?.failed(this.#attempt(request, credential));
  }

  succeeded(request: FastifyRequest, credential?: string): void {
    this.throttle?.succeeded(this.#attempt(request, credential));
  }

  #attempt(request: FastifyRequest, credential: string | undefined) {
    return { channel: 'http' as const, address: request.socket.remoteAddress, credential };
  }
}
