import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/**
 * Default PBKDF2 rounds for new entries. mosquitto_passwd uses 101, which is far too cheap for
 * a leaked file; 100 000 rounds of HMAC-SHA512 (≈50 ms on one core) slows offline guessing
 * ≈1000× while a device CONNECT still costs well under one keepalive tick.
 */
export const DEFAULT_PBKDF2_ITERATIONS = 100_000;
/** mosquitto's salt length for new entries. */
const SALT_BYTES = 12;
/** SHA-512 output; mosquitto stores the full digest. */
const HASH_BYTES = 64;
/** Bounds what a hand-edited file can make every CONNECT pay. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

/** One parsed password-file hash: `$7$` (PBKDF2-HMAC-SHA512) or legacy `$6$` (salted SHA-512). */
export type PasswordHash =
  | {
      readonly kind: 'pbkdf2-sha512';
      readonly iterations: number;
      readonly salt: Buffer;
      readonly hash: Buffer;
    }
  | { readonly kind: 'sha512'; readonly salt: Buffer; readonly hash: Buffer };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decode(part: string | undefined): Buffer | undefined {
  if (part === undefined || !BASE64.test(part)) return undefined;
  const bytes = Buffer.from(part, 'base64');
  return bytes.length === 0 ? undefined : bytes;
}

/** Parses `$7$iterations$salt$hash` or `$6$salt$hash`; undefined when it is neither. */
export function parsePasswordHash(text: string): PasswordHash | undefined {
  const parts = text.split('$');
  if (parts[0] !== '') return undefined;
  if (parts[1] === '6' && parts.length === 4) {
    const salt = decode(parts[2]);
    const hash = decode(parts[3]);
    return salt && hash ? { kind: 'sha512', salt, hash } : undefined;
  }
  if (parts[1] === '7' && parts.length === 5) {
    const iterations = Number(parts[2]);
    const salt = decode(parts[3]);
    const hash = decode(parts[4]);
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS)
      return undefined;
    if (!salt || !hash || hash.length > HASH_BYTES) return undefined;
    return { kind: 'pbkdf2-sha512', iterations, salt, hash };
  }
  return undefined;
}

export function formatPasswordHash(hash: PasswordHash): string {
  const salt = hash.salt.toString('base64');
  const digest = hash.hash.toString('base64');
  return hash.kind === 'sha512' ? `$6$${salt}$${digest}` : `$7$${hash.iterations}$${salt}$${digest}`;
}

async function derive(password: Buffer, hash: PasswordHash): Promise<Buffer> {
  if (hash.kind === 'sha512') {
    return createHash('sha512').update(password).update(hash.salt).digest();
  }
  // Async so the event loop keeps serving other clients while the thread pool does the rounds.
  return pbkdf2Async(password, hash.salt, hash.iterations, hash.hash.length, 'sha512');
}

/** Constant-time comparison of the derived hash with the stored one. */
export async function verifyPassword(password: Buffer, hash: PasswordHash): Promise<boolean> {
  const derived = await derive(password, hash);
  return derived.length === hash.hash.length && timingSafeEqual(derived, hash.hash);
}

/** A new `$7$` hash of `password` with a random salt. */
export async function hashPassword(
  password: Buffer,
  iterations = DEFAULT_PBKDF2_ITERATIONS,
  salt: Buffer = randomBytes(SALT_BYTES),
): Promise<PasswordHash> {
  const hash = await pbkdf2Async(password, salt, iterations, HASH_BYTES, 'sha512');
  return { kind: 'pbkdf2-sha512', iterations, salt, hash };
}
