import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a report download link stands for. */
export interface ReportLink {
  readonly deviceId: number;
  readonly params: Readonly<Record<string, string>>;
  /** Epoch ms after which the link no longer works. */
  readonly expires: number;
}

/** How long an `output=FILE` link works. */
export const REPORT_LINK_TTL_MS = 3_600_000;

function isLink(value: unknown): value is { d: number; p: Record<string, string>; e: number } {
  if (typeof value !== 'object' || value === null) return false;
  const { d, p, e } = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(d) &&
    Number.isSafeInteger(e) &&
    typeof p === 'object' &&
    p !== null &&
    Object.values(p).every((v) => typeof v === 'string')
  );
}

/**
 * Signed, short-lived report links (spec §6.2 row 9 `{"link": …}`): the link carries the device id
 * and the report parameters under an HMAC with a per-process key, never the device token, and
 * nothing is stored: the report is built when the link is fetched. A restart voids old links.
 */
export class ReportLinks {
  readonly #key = randomBytes(32);

  sign(link: ReportLink): string {
    const payload = Buffer.from(
      JSON.stringify({ d: link.deviceId, p: link.params, e: link.expires }),
    ).toString('base64url');
    return `${payload}.${this.#mac(payload)}`;
  }

  /** The link a key stands for, if the signature holds and it has not expired. */
  verify(key: string, now: number): ReportLink | undefined {
    const [payload, mac, extra] = key.split('.');
    if (payload === undefined || mac === undefined || extra !== undefined) return undefined;
    const expected = Buffer.from(this.#mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!isLink(decoded) || decoded.e < now) return undefined;
    return { deviceId: decoded.d, params: decoded.p, expires: decoded.e };
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}
