import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * The `token` of an OTA download URL (spec §6.2 note, [CHOICE]): short-lived and bound to one
 * device, one shipment and one file, so a leaked URL fetches nothing else and stops working soon.
 *
 * Format: `{deviceId}.{shipmentId}.{expiresAt}.{mac}`, mac = base64url HMAC-SHA256 over the three
 * numbers and the file name. Nothing secret is inside; the ids are not worth hiding from the
 * device that receives them.
 */
export interface DownloadClaims {
  readonly deviceId: number;
  readonly shipmentId: number;
  /** The file name in the URL path (`{sha256}.bin`). */
  readonly file: string;
  /** Epoch ms after which the token is refused. */
  readonly expiresAt: number;
}

// Canonical decimals only (no leading zeros), so one set of claims has exactly one spelling.
const NUM = '(0|[1-9]\\d{0,14})';
const TOKEN = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}\\.([A-Za-z0-9_-]{43})$`);

/**
 * A key for download tokens only, derived from the platform key (HKDF-SHA256), so the key that
 * encrypts device tokens is never used for a second purpose directly.
 */
export function downloadTokenKey(platformKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', platformKey, Buffer.alloc(0), 'devgate ota download token', 32));
}

function mac(key: Buffer, claims: DownloadClaims): Buffer {
  const text = `${claims.deviceId}\n${claims.shipmentId}\n${claims.expiresAt}\n${claims.file}`;
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

export function signDownloadToken(key: Buffer, claims: DownloadClaims): string {
  const { deviceId, shipmentId, expiresAt } = claims;
  return `${deviceId}.${shipmentId}.${expiresAt}.${mac(key, claims).toString('base64url')}`;
}

/**
 * The claims of `token` when it was signed with `key` for `file` and has not expired at `now`;
 * undefined otherwise (the caller answers every failure alike).
 */
export function verifyDownloadToken(
  key: Buffer,
  token: string,
  file: string,
  now: number,
): Omit<DownloadClaims, 'file'> | undefined {
  const match = TOKEN.exec(token);
  if (match === null) return undefined;
  const [, device, shipment, expiry, signature] = match;
  const claims = {
    deviceId: Number(device),
    shipmentId: Number(shipment),
    expiresAt: Number(expiry),
    file,
  };
  // Compared as text: base64url has spare bits, and a second spelling of one mac is still a second token.
  const given = Buffer.from(signature ?? '', 'latin1');
  const expected = Buffer.from(mac(key, claims).toString('base64url'), 'latin1');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  if (now >= claims.expiresAt) return undefined;
  return { deviceId: claims.deviceId, shipmentId: claims.shipmentId, expiresAt: claims.expiresAt };
}
