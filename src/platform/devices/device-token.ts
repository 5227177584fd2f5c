import { createCipheriv, createDecipheriv, hash, randomBytes } from 'node:crypto';

/** spec §2.1: 24 random bytes in URL-safe base64 = 32 characters. */
const tokenBytes = 24;
const tokenShape = /^[A-Za-z0-9_-]{32}$/;
const ivBytes = 12;
const tagBytes = 16;

/** A fresh device token from the CSPRNG (spec §9 "Tokens and secrets"). */
export function generateDeviceToken(): string {
  return randomBytes(tokenBytes).toString('base64url');
}

/** A static token's QR token (spec §5.9 `sqr_…`). */
export function generateQrToken(): string {
  return `sqr_${randomBytes(tokenBytes).toString('base64url')}`;
}

/** Cheap shape check done before any hashing or lookup. */
export function isDeviceTokenShaped(token: string): boolean {
  return tokenShape.test(token);
}

/** The lookup key stored in `devices.token_hash`. */
export function hashDeviceToken(token: string): string {
  // One-shot hash: no Hash object per call (it runs on every gateway publish).
  return hash('sha256', token, 'hex');
}

/**
 * Encrypts a token for storage: AES-256-GCM, `iv ‖ tag ‖ ciphertext`. The hash is the associated
 * data, so a ciphertext copied onto another device row does not decrypt.
 */
export function sealDeviceToken(key: Buffer, token: string, tokenHash: string): Buffer {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(tokenHash, 'utf8'));
  const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Reverses sealDeviceToken; throws when the key or the associated hash do not match. */
export function openDeviceToken(key: Buffer, sealed: Buffer, tokenHash: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, ivBytes));
  decipher.setAAD(Buffer.from(tokenHash, 'utf8'));
  decipher.setAuthTag(sealed.subarray(ivBytes, ivBytes + tagBytes));
  return Buffer.concat([decipher.update(sealed.subarray(ivBytes + tagBytes)), decipher.final()]).toString(
    'utf8',
  );
}

/** A new token with its stored forms. */
export function issueDeviceToken(key: Buffer): { token: string; tokenHash: string; tokenCipher: Buffer } {
  const token = generateDeviceToken();
  const tokenHash = hashDeviceToken(token);
  return { token, tokenHash, tokenCipher: sealDeviceToken(key, token, tokenHash) };
}
