import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { TlsFiles } from './tls-credentials.js';

const CERT_FILE = 'self-signed-cert.pem';
const KEY_FILE = 'self-signed-key.pem';
const VALIDITY_DAYS = 825;
/** Regenerate when fewer days than this are left, so a long-running dev box does not hit expiry. */
const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

export interface SelfSignedResult extends TlsFiles {
  /** True when this call generated the pair, false when an existing one was reused. */
  readonly created: boolean;
}

async function usableUntilLater(files: TlsFiles, now: number): Promise<boolean> {
  try {
    const [cert] = await Promise.all([readFile(files.certPath), readFile(files.keyPath)]);
    const validTo = Date.parse(new X509Certificate(cert).validTo);
    return validTo - now > RENEW_BEFORE_DAYS * DAY_MS;
  } catch {
    return false;
  }
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, data, { mode });
  await rename(temp, path);
}

/**
 * The certificate used when none is configured: CN=localhost, SAN localhost, 127.0.0.1 and ::1,
 * kept in `<dataDir>/tls/` and reused across restarts while it is valid. Development only:
 * clients must trust it explicitly (or skip verification).
 */
export async function ensureSelfSignedCert(dataDir: string, now = Date.now()): Promise<SelfSignedResult> {
  const dir = join(dataDir, 'tls');
  const files = { certPath: join(dir, CERT_FILE), keyPath: join(dir, KEY_FILE) };
  if (await usableUntilLater(files, now)) return { ...files, created: false };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const notBeforeDate = new Date(now - DAY_MS);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(now + VALIDITY_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  // Key first: a reader that finds the new cert must also find its key.
  await writeAtomic(files.keyPath, pems.private, 0o600);
  await writeAtomic(files.certPath, pems.cert, 0o644);
  return { ...files, created: true };
}
