import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { generate } from 'selfsigned';
import {
  TlsCredentials,
  TlsFileError,
  validityProblem,
} from '../../../src/mqtt/transport/tls-credentials.js';
import { silentLogger } from '../../../src/observability/logger.js';

async function pair(keyType: 'rsa' | 'ec'): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: keyType }], { keyType, algorithm: 'sha256' });
  return { cert: pems.cert, key: pems.private };
}

async function load(t: TestContext, cert: string, key: string): Promise<TlsCredentials> {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-tlsc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files = { certPath: join(dir, 'cert.pem'), keyPath: join(dir, 'key.pem') };
  await writeFile(files.certPath, cert);
  await writeFile(files.keyPath, key);
  const credentials = await TlsCredentials.load(files, { logger: silentLogger() });
  t.after(() => credentials.close());
  return credentials;
}

describe('TLS pair checks', async () => {
  const [rsa, otherRsa, ec] = await Promise.all([pair('rsa'), pair('rsa'), pair('ec')]);

  test('RSA and EC pairs that match load', async (t) => {
    await load(t, rsa.cert, rsa.key);
    await load(t, ec.cert, ec.key);
  });

  test('a key of another algorithm than the certificate is refused (a context would build, every handshake fail)', async (t) => {
    for (const [cert, key, type] of [
      [ec.cert, rsa.key, 'EC'],
      [rsa.cert, ec.key, 'RSA'],
    ] as const) {
      await assert.rejects(load(t, cert, key), (err: Error) => {
        assert.ok(err instanceof TlsFileError);
        assert.match(err.message, /^--tls-cert \S+cert\.pem \/ --tls-key \S+key\.pem: /);
        assert.match(
          err.message,
          new RegExp(`does not match the certificate \\(the certificate's key is ${type}\\)$`),
        );
        return true;
      });
    }
  });

  test('another RSA key, an unparsable certificate or key, a missing file are refused', async (t) => {
    await assert.rejects(load(t, rsa.cert, otherRsa.key), /the private key does not match the certificate/);
    await assert.rejects(load(t, 'not a certificate', rsa.key), /the certificate cannot be parsed/);
    await assert.rejects(load(t, rsa.cert, 'not a key'), /the private key cannot be parsed/);
    const missing = { certPath: '/nonexistent/cert.pem', keyPath: '/nonexistent/key.pem' };
    await assert.rejects(
      TlsCredentials.load(missing, { logger: silentLogger() }),
      /cannot read \/nonexistent\/\S+ \(ENOENT\)/,
    );
  });

  test('a reload to a mismatched pair keeps the old one', async (t) => {
    const credentials = await load(t, rsa.cert, rsa.key);
    await writeFile(credentials.files.certPath, ec.cert);
    assert.equal(await credentials.reload(), 'failed');
    assert.equal(String(credentials.serverOptions().cert), rsa.cert);
    await writeFile(credentials.files.certPath, rsa.cert);
    assert.equal(await credentials.reload(), 'unchanged');
  });

  test('validity: expired and not-yet-valid certificates are named, a current one is not', () => {
    const x509 = new X509Certificate(rsa.cert);
    const from = Date.parse(x509.validFrom);
    const to = Date.parse(x509.validTo);
    assert.equal(validityProblem(x509, from + 1000), undefined);
    assert.match(validityProblem(x509, to + 1000) ?? '', /^the certificate expired on /);
    assert.match(validityProblem(x509, from - 1000) ?? '', /^the certificate is not valid before /);
  });
});
