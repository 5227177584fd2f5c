import { createHash, randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * OAuth client secrets at rest: scrypt (memory-hard) with a random salt, stored as
 * `scrypt$N$r$p$salt$hash` (salt and hash base64url) so the cost can be raised later without
 * breaking stored entries.
 */
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds what a tampered row can make one verification cost. */
const MAX_N = 1 << 20;
const MAX_RP = 16;

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function scryptAsync(secret: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  // Async: the work runs on the libuv pool, not the event loop.
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function memoryFor(N: number, r: number): number {
  return 128 * N * r * 2;
}

export function parseSecretHash(text: string): ParsedHash | undefined {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  const powerOfTwo = Number.isInteger(N) && N > 1 && N <= MAX_N && (N & (N - 1)) === 0;
  const smallInts = [r, p].every((v) => Number.isInteger(v) && v >= 1 && v <= MAX_RP);
  if (!powerOfTwo || !smallInts || salt.length === 0 || hash.length < 16 || hash.length > 64)
    return undefined;
  return { N, r, p, salt, hash };
}

/** A new hash of `secret` with a fresh random salt. */
export async function hashSecret(secret: string): Promise<string> {
  const { N, r, p } = SCRYPT_PARAMS;
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(secret, salt, KEY_BYTES, { N, r, p, maxmem: memoryFor(N, r) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/**
 * A well-formed hash no secret matches (random salt and digest): verifying against it costs the
 * same scrypt as a real one, without computing one up front.
 */
export function dummySecretHash(): string {
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${randomUrlSafe(SALT_BYTES)}$${randomUrlSafe(KEY_BYTES)}`;
}

/** Constant-time check of `secret` against a stored hash; false for an unreadable hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parsed = parseSecretHash(stored);
  if (parsed === undefined) return false;
  const { N, r, p, salt, hash } = parsed;
  const derived = await scryptAsync(secret, salt, hash.length, { N, r, p, maxmem: memoryFor(N, r) });
  return timingSafeEqual(derived, hash);
}

/** sha256 hex: how bearer and refresh tokens are stored and looked up (they are long and random). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `bytes` random bytes as URL-safe base64 (no padding). */
export function randomUrlSafe(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
