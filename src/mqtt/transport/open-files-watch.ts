import { readdirSync } from 'node:fs';
import type { Logger } from '../../observability/logger.js';

/** Warn at this share of the open-files limit; warn again only after falling below the re-arm share. */
const WARN_SHARE = 0.9;
const REARM_SHARE = 0.8;

/**
 * Warns once when the connections a process holds approach its open-files limit. Past the limit
 * the kernel-level accept fails and libuv closes the new connection at once, without an error
 * any listener could see: without this line an operator would only see clients being reset.
 */
export class OpenFilesWatch {
  readonly #warnAt: number;
  readonly #rearmAt: number;
  #warned = false;

  /**
   * `limit`: the process's open-files limit; `baseFiles`: files open besides connections
   * (databases, listeners, pipes), counted once at start.
   */
  constructor(
    private readonly limit: number,
    private readonly logger: Logger,
    baseFiles = openFiles(),
  ) {
    this.#warnAt = Math.floor(limit * WARN_SHARE) - baseFiles;
    this.#rearmAt = Math.floor(limit * REARM_SHARE) - baseFiles;
  }

  /** Called with the number of connections open, on each new one. */
  check(connections: number): void {
    if (this.#warned) {
      if (connections < this.#rearmAt) this.#warned = false;
      return;
    }
    if (connections < this.#warnAt) return;
    this.#warned = true;
    this.logger.warn(
      { connections, openFilesLimit: this.limit },
      'connections near the open-files limit: beyond it new connections are dropped unseen; raise `ulimit -n` (LimitNOFILE) or use --socket-workers',
    );
  }
}

/** Files this process has open now (Linux); 0 where /proc is missing. */
function openFiles(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}
