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

/** TLS 1.2 is the floor: 1.0/1.1 are deprecated (RFC 8996). */
export const TLS_MIN_VERSION = 'TLSv1.2';

interface Pem {
  readonly cert: Buffer;
  readonly key: Buffer;
}

async function readPem(files: TlsFiles): Promise<Pem> {
  const [cert, key] = await Promise.all([readFile(files.certPath), readFile(files.keyPath)]);
  // Throws on unparsable PEM or a key that does not match the certificate.
  createSecureContext({ cert, key, minVersion: TLS_MIN_VERSION });
  return { cert, key };
}

/**
 * A certificate and key shared by every TLS server of the process, reloaded without restart
 * when the files change. A bad new pair is logged and the servers keep the old one.
 * Emits 'reload' after a successful swap and 'reloadError' (err) after a rejected one.
 */
export class TlsCredentials extends EventEmitter {
  private pem: Pem;
  private readonly servers = new Set<TlsServer>();
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

  /** Reads and validates the pair (throws if unusable) and starts watching both files. */
  static async load(files: TlsFiles, options: TlsWatchOptions): Promise<TlsCredentials> {
    let pem: Pem;
    try {
      pem = await readPem(files);
    } catch (err) {
      const reason = (err as Error).message;
      throw new Error(`cannot use TLS certificate ${files.certPath} with key ${files.keyPath}: ${reason}`, {
        cause: err,
      });
    }
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

  /** Re-reads the files now; resolves true when the new pair is in use. */
  async reload(): Promise<boolean> {
    try {
      const pem = await readPem(this.files);
      if (this.closed) return false;
      if (pem.cert.equals(this.pem.cert) && pem.key.equals(this.pem.key)) return true;
      this.pem = pem;
      for (const server of this.servers) server.setSecureContext(this.serverOptions());
      this.options.logger.info({ cert: this.files.certPath }, 'tls certificate reloaded');
      this.emit('reload');
      return true;
    } catch (err) {
      this.options.logger.warn(
        { err, cert: this.files.certPath },
        'tls certificate reload failed; keeping the old one',
      );
      this.emit('reloadError', err);
      return false;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    unwatchFile(this.files.certPath, this.onChange);
    unwatchFile(this.files.keyPath, this.onChange);
    this.servers.clear();
  }

  private scheduleReload(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 300);
    this.timer.unref();
  }
}
