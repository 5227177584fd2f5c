import type { Clock } from '../../lib/clock.js';
import { LruMap } from '../../lib/lru-map.js';
import { addressKey } from './address-key.js';
import {
  type BucketRule,
  type FailureBucket,
  fullBucket,
  hasRoom,
  isFull,
  msUntilRoom,
  refill,
  takeOne,
} from './failure-bucket.js';

/** Where a login attempt came in. */
export type AuthChannel = 'mqtt' | 'http';
/** Which rule refused an attempt. */
export type ThrottleScope = 'address' | 'credential';

export interface AuthThrottleOptions {
  /** Failures one source address (IPv6: /64) may make; burst 0 turns the whole throttle off. */
  readonly perAddress: BucketRule;
  /** Failures against one named credential (an OAuth client id) from all addresses together. */
  readonly perCredential: BucketRule;
  /** Entries each table (addresses, credentials, address-credential pairs) keeps at most. */
  readonly maxEntries: number;
}

/**
 * One login attempt. `credential` names what is being guessed when the name is not itself the
 * secret (an OAuth client id); a device token is its own credential, so it has none.
 */
export interface AuthAttempt {
  readonly channel: AuthChannel;
  readonly address: string | undefined;
  readonly credential?: string | undefined;
}

export type ThrottleVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly scope: ThrottleScope; readonly retryAfterMs: number };

/** What the throttle reports for logs: never a secret, token or credential. */
export interface ThrottleLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

const ALLOWED: ThrottleVerdict = { allowed: true };

/**
 * Checks still running from one address. Counted against its allowance once it has failed, so
 * concurrent guesses cannot all pass a check made before any of them failed. A count untouched
 * this long is stale (an attempt whose end was never reported) and reads as 0.
 */
interface InFlight {
  count: number;
  at: number;
}
const IN_FLIGHT_STALE_MS = 60_000;

/** Counters read by `/metrics` at scrape time. */
export class AuthThrottleCounts {
  /** Attempts refused without checking the secret, by `channel/scope`. */
  readonly refused = new Map<string, number>();
  /** Failed logins seen, by channel. */
  readonly failures = new Map<AuthChannel, number>();
}

function bump<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * Failed-login throttling (decision 0009). Per source address: a bucket of allowed failures;
 * empty, every attempt from there is refused before its secret is checked. Per credential: a
 * bucket filled by failures from all addresses; empty (distributed guessing), only the addresses
 * that recently failed against that credential are refused, so the real client, which does not
 * fail, keeps logging in from its own address. Successes never refill a bucket.
 */
export class AuthThrottle {
  readonly counts = new AuthThrottleCounts();
  readonly #options: AuthThrottleOptions;
  readonly #clock: Clock;
  readonly #log: ThrottleLog;
  readonly #addresses = new LruMap<string, FailureBucket>();
  readonly #credentials = new LruMap<string, FailureBucket>();
  /** `credential \n address` → when that address last failed against that credential. */
  readonly #pairs = new LruMap<string, number>();
  /** Address → when its refusals were last logged (one warning per address per window). */
  readonly #warned = new LruMap<string, number>();
  /** Address → checks admitted and not yet ended; bounded by the connections open at once. */
  readonly #inFlight = new Map<string, InFlight>();

  constructor(options: AuthThrottleOptions, clock: Clock, log: ThrottleLog) {
    this.#options = options;
    this.#clock = clock;
    this.#log = log;
  }

  get enabled(): boolean {
    return this.#options.perAddress.burst > 0;
  }

  /** Entries held now (all tables), for the bounded-memory check and a gauge. */
  get size(): number {
    const tables = this.#addresses.size + this.#credentials.size + this.#pairs.size + this.#warned.size;
    return tables + this.#inFlight.size;
  }

  /**
   * Decides before the secret is checked; a refused attempt must not be checked at all. An
   * admitted one must be ended by exactly one of {@link failed}, {@link succeeded}, {@link released}.
   */
  check(attempt: AuthAttempt): ThrottleVerdict {
    if (!this.enabled) return ALLOWED;
    const now = this.#clock.now();
    const address = addressKey(attempt.address);
    const rule = this.#options.perAddress;
    const bucket = this.#bucket(this.#addresses, address, rule, now, false);
    // An address without a recent failure is never refused, however many logins it runs at once
    // (a fleet behind one NAT reconnecting); one that failed has its checks in flight counted.
    if (bucket !== undefined && bucket.tokens - this.#running(address, now) < 1) {
      const wait = msUntilRoom(bucket, rule) || rule.refillMs;
      return this.#refuse(attempt, address, 'address', wait, now);
    }
    const verdict = this.#checkCredential(attempt, address, now);
    if (verdict.allowed) this.#begin(address, now);
    return verdict;
  }

  #checkCredential(attempt: AuthAttempt, address: string, now: number): ThrottleVerdict {
    const credential = attempt.credential;
    if (credential === undefined) return ALLOWED;
    const rule = this.#options.perCredential;
    const shared = this.#bucket(this.#credentials, credential, rule, now, false);
    if (shared === undefined || hasRoom(shared)) return ALLOWED;
    const failedAt = this.#pairs.get(pairKey(credential, address));
    if (failedAt === undefined || now - failedAt >= pairWindowMs(rule)) return ALLOWED;
    return this.#refuse(attempt, address, 'credential', msUntilRoom(shared, rule), now);
  }

  /** A login that was checked and failed (unknown or wrong secret, or a credential without the right). */
  failed(attempt: AuthAttempt): void {
    if (!this.enabled) return;
    bump(this.counts.failures, attempt.channel);
    const now = this.#clock.now();
    const address = addressKey(attempt.address);
    this.#end(address);
    const perAddress = this.#options.perAddress;
    takeOne(this.#bucket(this.#addresses, address, perAddress, now, true) as FailureBucket);
    const credential = attempt.credential;
    if (credential === undefined) return;
    const rule = this.#options.perCredential;
    takeOne(this.#bucket(this.#credentials, credential, rule, now, true) as FailureBucket);
    this.#remember(this.#pairs, pairKey(credential, address), now);
  }

  /** A login that succeeded: its address is no longer one that failed against the credential. */
  succeeded(attempt: AuthAttempt): void {
    if (!this.enabled) return;
    const address = addressKey(attempt.address);
    this.#end(address);
    if (attempt.credential !== undefined) this.#pairs.delete(pairKey(attempt.credential, address));
  }

  /** An admitted login that ended neither way (a server error, a connection gone meanwhile). */
  released(attempt: AuthAttempt): void {
    if (this.enabled) this.#end(addressKey(attempt.address));
  }

  #running(address: string, now: number): number {
    const entry = this.#inFlight.get(address);
    if (entry === undefined) return 0;
    if (now - entry.at < IN_FLIGHT_STALE_MS) return entry.count;
    this.#inFlight.delete(address);
    return 0;
  }

  #begin(address: string, now: number): void {
    const entry = this.#inFlight.get(address);
    if (entry === undefined || now - entry.at >= IN_FLIGHT_STALE_MS) {
      // Bounded like the other tables; past it new addresses are simply not tracked.
      if (entry !== undefined || this.#inFlight.size < this.#options.maxEntries)
        this.#inFlight.set(address, { count: 1, at: now });
    } else {
      entry.count++;
      entry.at = now;
    }
  }

  #end(address: string): void {
    const entry = this.#inFlight.get(address);
    if (entry === undefined) return;
    if (entry.count <= 1) this.#inFlight.delete(address);
    else entry.count--;
  }

  /** The refilled bucket of `key`; created (full) only when `create`, else undefined if absent. */
  #bucket(
    table: LruMap<string, FailureBucket>,
    key: string,
    rule: BucketRule,
    now: number,
    create: boolean,
  ): FailureBucket | undefined {
    // Looked at = used: an address being refused stays in the table ahead of idle ones.
    const bucket = table.touch(key);
    if (bucket === undefined) {
      if (!create) return undefined;
      const made = fullBucket(rule, now);
      this.#remember(table, key, made);
      return made;
    }
    refill(bucket, rule, now);
    // Full again: nothing to keep (a fresh bucket would be the same).
    if (!create && isFull(bucket, rule)) {
      table.delete(key);
      return undefined;
    }
    return bucket;
  }

  /** Sets `key`, evicting the least recently used entry past the size limit. */
  #remember<V>(table: LruMap<string, V>, key: string, value: V): void {
    table.set(key, value);
    if (table.size > this.#options.maxEntries) {
      const oldest = table.oldest();
      if (oldest !== undefined) table.delete(oldest);
    }
  }

  #refuse(
    attempt: AuthAttempt,
    address: string,
    scope: ThrottleScope,
    retryAfterMs: number,
    now: number,
  ): ThrottleVerdict {
    bump(this.counts.refused, `${attempt.channel}/${scope}`);
    const window = this.#options.perAddress.refillMs * this.#options.perAddress.burst;
    const warnedAt = this.#warned.get(address);
    if (warnedAt === undefined || now - warnedAt >= window) {
      this.#remember(this.#warned, address, now);
      this.#log.warn(
        {
          remoteAddress: address,
          channel: attempt.channel,
          scope,
          retryAfterSec: retryAfterSeconds(retryAfterMs),
        },
        'login attempts throttled: too many failed logins',
      );
    }
    return { allowed: false, scope, retryAfterMs };
  }
}

function pairKey(credential: string, address: string): string {
  return `${credential}\n${address}`;
}

/** An address counts as "recently failed" against a credential until its bucket could be full again. */
function pairWindowMs(rule: BucketRule): number {
  return rule.burst * rule.refillMs;
}

/** `Retry-After` seconds: at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The credential key of an OAuth client id, the same over MQTT and HTTP. */
export function oauthClientCredential(clientId: string): string {
  return `oauth-client:${clientId}`;
}
