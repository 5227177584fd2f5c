import { dummySecretHash, hashSecret, parseSecretHash, verifySecret } from '../oauth/secret-hash.js';

/**
 * User passwords at rest: scrypt with a per-user random salt, stored with its parameters
 * (`scrypt$N$r$p$salt$hash`) so the cost can be raised without breaking stored hashes. The same
 * format and cost as OAuth client secrets (src/platform/oauth/secret-hash.ts).
 */
export function hashPassword(password: string): Promise<string> {
  return hashSecret(password);
}

/** Checked against when there is no usable hash, so every failed sign-in costs one scrypt. */
const DUMMY_HASH = dummySecretHash();

/**
 * Constant-time check of `password` against `stored`. An unknown user (`stored` undefined) or
 * one without a password still costs a full scrypt: the answer's timing tells nothing.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const usable = stored !== undefined && parseSecretHash(stored) !== undefined;
  const matches = await verifySecret(password, usable ? stored : DUMMY_HASH);
  return usable && matches;
}
