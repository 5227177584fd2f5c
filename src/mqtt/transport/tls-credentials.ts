import { createPrivateKey, X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import type { Logger } from '../../observability/logger.js';

/** PEM files of a server certificate (chain) and its private key. */
export interface TlsFiles {
  readonly certPath: string;
  readonly keyPath: string;
}

export interface TlsWatchOptions {
  readonly logger: Logger;
  /** How often the files are stat'ed (fs.watchFile polls; it survives rename and symlink swaps). */
  readonly watchIntervalMs?: number;
  /** Quiet time after a change before reloading, so a cert and its key written one after the other load together. */
  readonly debounceMs?: number;
}

/** What a reload did: swapped the pair, found the same files, or kept the old pair. */
export type ReloadOutcome = 'reloaded' | 'unchanged' | 'failed';

/** TLS 1.2 is the floor: 1.0/1.1 are deprecated (RFC 8996). */
export const TLS_MIN_VERSION = 'TLSv1.2';

interface Pem {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A certificate/key pair that cannot serve a handshake; the message names both files. */
export class TlsFileError extends Error {
  readonly code = 'TLS_FILES_INVALID';

  constructor(files: TlsFiles, reason: string, options?: ErrorOptions) {
    super(`--tls-cert ${files.certPath} / --tls-key ${files.keyPath}: ${reason}`, options);
    this.name = 'TlsFileError';
  }
}

/** Runs one check step; its failure becomes a TlsFileError saying which step failed. */
function step<T>(files: TlsFiles, failure: string, action: () => T): T {
  try {
    return action();
  } catch (err) {
    throw new TlsFileError(files, `${failure} (${(err as Error).message})`, { cause: err });
  }
}

/**
 * Throws TlsFileError unless the pair can serve handshakes. createSecureContext alone is not
 * enough: it files the key and the certificate under their own algorithm, so an EC certificate
 * with an RSA key builds a context whose every handshake fails (alert 40).
 */
export function checkPair(files: TlsFiles, cert: Buffer, key: Buffer): X509Certificate {
  // The first certificate of a chain: the server's own.
  const x509 = step(files, 'the certificate cannot be parsed', () => new X509Certificate(cert));
  const privateKey = step(files, 'the private key cannot be parsed', () => createPrivateKey(key));
  const matches = step(files, 'the key cannot be checked', () => x509.checkPrivateKey(privateKey));
  if (!matches) {
    throw new TlsFileError(files, `the private key does not match the certificate (${keyAlgorithm(x509)})`);
  }
  step(files, 'no TLS context can be built', () =>
    createSecureContext({ cert, key, minVersion: TLS_MIN_VERSION }),
  );
  return x509;
}

function keyAlgorithm(x509: X509Certificate): string {
  return `the certificate's key is ${x509.publicKey.asymmetricKeyType?.toUpperCase() ?? 'of an unknown type'}`;
}

/** Why the certificate cannot be trusted by clients today; undefined while it is within its dates. */
export function validityProblem(x509: X509Certificate, now = Date.now()): string | undefined {
  if (now < Date.parse(x509.validFrom)) return `the certificate is not valid before ${x509.validFrom}`;
  if (now > Date.parse(x509.validTo)) return `the certificate expired on ${x509.validTo}`;
  return undefined;
}

async function readPem(files: TlsFiles): Promise<Pem & { x509: X509Certificate }> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(files.certPath), readFile(files.keyPath)]);
  } catch (err) {
    const { code, path } = err as NodeJS.ErrnoException;
    throw new TlsFileError(files, `cannot read ${path ?? 'the files'} (${code})`, { cause: err });
  }
  return { cert, key, x509: checkPair(files, cert, key) };
}

/** Expired or not-yet-valid: clients will refuse it, but operators may need to start anyway. */
function warnIfOutOfDates(x509: X509Certificate, files: TlsFiles, logger: Logger): void {
  const problem = validityProblem(x509);
  if (problem !== undefined) logger.warn({ cert: files.certPath, problem }, `tls certificate: ${problem}`);
}

/**
 * A certificate and key shared by every TLS server of the process, reloaded without restart
 * when the files change. A bad new pair is logged and the servers keep the old one.
 * Emits 'reload' after a successful swap and 'reloadError' (err) after a rejected one.
 */
export class TlsCredentials extends EventEmitter {
  private pem: Pem;
  private readonly servers = new Set<TlsServer>();
  private readonly followers = new Set<() => Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onChange = (): void => this.scheduleReload();

  private constructor(
    readonly files: TlsFiles,
    pem: Pem,
    private readonly options: TlsWatchOptions,
  ) {
    super();
    this.pem = pem;
  }

  /** Reads and checks the pair (TlsFileError if unusable) and starts watching both files. */
  static async load(files: TlsFiles, options: TlsWatchOptions): Promise<TlsCredentials> {
    const { x509, ...pem } = await readPem(files);
    warnIfOutOfDates(x509, files, options.logger);
    const credentials = new TlsCredentials(files, pem, options);
    const interval = options.watchIntervalMs ?? 2000;
    watchFile(files.certPath, { interval, persistent: false }, credentials.onChange);
    watchFile(files.keyPath, { interval, persistent: false }, credentials.onChange);
    return credentials;
  }

  /** Options for `tls.createServer` / `https.createServer`. */
  serverOptions(): SecureContextOptions {
    return { cert: this.pem.cert, key: this.pem.key, minVersion: TLS_MIN_VERSION };
  }

  /** Registers a server whose context is swapped on reload. */
  attach(server: TlsServer): void {
    this.servers.add(server);
  }

  detach(server: TlsServer): void {
    this.servers.delete(server);
  }

  /** Registers servers elsewhere (socket workers): a reload waits until `apply` has handed them the pair. */
  follow(apply: () => Promise<void>): void {
    this.followers.add(apply);
  }

  /** Re-reads the files now (a file change, SIGHUP); a failed pair leaves the old one in use. */
  async reload(): Promise<ReloadOutcome> {
    clearTimeout(this.timer); // a change still being debounced is read now
    try {
      const { x509, ...pem } = await readPem(this.files);
      if (this.closed) return 'failed';
      if (pem.cert.equals(this.pem.cert) && pem.key.equals(this.pem.key)) return 'unchanged';
      warnIfOutOfDates(x509, this.files, this.options.logger);
      this.pem = pem;
      for (const server of this.servers) server.setSecureContext(this.serverOptions());
      await Promise.all([...this.followers].map((apply) => apply()));
      const fingerprint = x509.fingerprint256;
      this.options.logger.info({ cert: this.files.certPath, fingerprint }, 'tls certificate reloaded');
      this.emit('reload');
      return 'reloaded';
    } catch (err) {
      this.options.logger.error(
        { cert: this.files.certPath, reason: (err as Error).message },
        'tls certificate reload failed; keeping the old one',
      );
      this.emit('reloadError', err);
      return 'failed';
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    unwatchFile(this.files.certPath, this.onChange);
    unwatchFile(this.files.keyPath, this.onChange);
    this.servers.clear();
    this.followers.clear();
  }

  private scheduleReload(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 300);
    this.timer.unref();
  }
}
