import type { ClientIdentity } from './auth.js';

/**
 * Sessions per credential (`limits.maxSessionsPerCredential`, decision 0009): connected ones and
 * ones kept for expiry alike. Counted as sessions are created, re-owned and ended, so a CONNECT
 * costs one map look-up. Identities without a credential (anonymous) are not counted.
 */
export class SessionQuota {
  readonly #counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /**
   * False when a session for `identity` would exceed its credential's cap. `replacing` is the
   * credential of the session the new one takes the place of (same client id): a takeover or
   * clean start by the same credential does not count twice.
   */
  allows(identity: ClientIdentity, replacing: string | undefined): boolean {
    const key = identity.credential;
    if (this.max === 0 || key === undefined || key === replacing) return true;
    return (this.#counts.get(key) ?? 0) < this.max;
  }

  /** A session now belongs to `key` (undefined: to no credential); `previous` was its owner. */
  move(previous: string | undefined, key: string | undefined): void {
    if (previous === key) return;
    if (previous !== undefined) this.#release(previous);
    if (key !== undefined) this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Sessions `key` holds now. */
  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  #release(key: string): void {
    const left = (this.#counts.get(key) ?? 0) - 1;
    if (left > 0) this.#counts.set(key, left);
    else this.#counts.delete(key);
  }
}
