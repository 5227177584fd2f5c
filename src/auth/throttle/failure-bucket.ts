/** How many failures a bucket allows at once and how fast it gives one back. 0 burst = off. */
export interface BucketRule {
  readonly burst: number;
  /** Milliseconds to regain one failure. */
  readonly refillMs: number;
}

/**
 * A token bucket of allowed failures: full at `burst`, each failure takes one, one comes back
 * every `refillMs`. Plain fields so a table of thousands stays small.
 */
export interface FailureBucket {
  tokens: number;
  at: number;
}

export function fullBucket(rule: BucketRule, now: number): FailureBucket {
  return { tokens: rule.burst, at: now };
}

/** Adds what was regained since the bucket was last looked at. */
export function refill(bucket: FailureBucket, rule: BucketRule, now: number): void {
  const elapsed = Math.max(0, now - bucket.at);
  bucket.at = now;
  bucket.tokens = Math.min(rule.burst, bucket.tokens + elapsed / rule.refillMs);
}

/** True when another failure would still be allowed (read after {@link refill}). */
export function hasRoom(bucket: FailureBucket): boolean {
  return bucket.tokens >= 1;
}

/** Records one failure; an empty bucket stays at 0 (refused attempts are not failures). */
export function takeOne(bucket: FailureBucket): void {
  bucket.tokens = Math.max(0, bucket.tokens - 1);
}

/** Milliseconds until the bucket allows one more failure (0 when it already does). */
export function msUntilRoom(bucket: FailureBucket, rule: BucketRule): number {
  return hasRoom(bucket) ? 0 : Math.ceil((1 - bucket.tokens) * rule.refillMs);
}

/** True when the bucket is full again: the entry holds nothing worth keeping. */
export function isFull(bucket: FailureBucket, rule: BucketRule): boolean {
  return bucket.tokens >= rule.burst;
}
