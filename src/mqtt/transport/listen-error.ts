import { createServer } from 'node:net';
import type { ServerConfig } from '../../config/server-config.js';
import { closeOnce, listenOn } from './listen.js';

/** A port the configuration asks for, with the option that set it (for the operator's message). */
export interface PlannedListener {
  readonly flag: '--mqtt-port' | '--mqtts-port' | '--http-port' | '--https-port';
  readonly port: number;
}

/**
 * A listener could not bind for a reason the operator fixes (port taken, privileged port, address
 * not on this machine): one line naming the option, exit code 2, no stack trace.
 */
export class ListenError extends Error {
  constructor(
    readonly host: string,
    readonly listener: PlannedListener,
    readonly code: string,
    reason: string,
  ) {
    super(`cannot listen on ${hostPort(host, listener.port)} (${listener.flag}): ${reason}`);
    this.name = 'ListenError';
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const PRIVILEGED_PORT_HINT =
  'ports below 1024 need privileges: use a port of 1024 or above, or let node bind them with ' +
  "`sudo setcap 'cap_net_bind_service=+ep' $(which node)` (or systemd AmbientCapabilities=CAP_NET_BIND_SERVICE)";

function reasonFor(code: string, host: string, port: number): string | undefined {
  switch (code) {
    case 'EADDRINUSE':
      return 'address already in use';
    case 'EACCES':
    case 'EPERM':
      return port < 1024 ? `permission denied (${PRIVILEGED_PORT_HINT})` : 'permission denied';
    case 'EADDRNOTAVAIL':
      return `address not available (--host ${host} is not an address of this machine)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve --host ${host}`;
    default:
      return undefined;
  }
}

/** `err` as a ListenError when it is an operator's problem; anything else (a bug) unchanged. */
export function toListenError(err: unknown, host: string, listener: PlannedListener): unknown {
  if (err instanceof ListenError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = typeof code === 'string' ? reasonFor(code, host, listener.port) : undefined;
  return reason === undefined ? err : new ListenError(host, listener, code as string, reason);
}

/** Binds via `listen`, turning an operator's bind failure into a ListenError naming the option. */
export async function bindAs<T>(
  host: string,
  listener: PlannedListener,
  listen: () => Promise<T>,
): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    throw toListenError(err, host, listener);
  }
}

/** Every listener the configuration enables, in bind order (TLS ones only when TLS is on). */
export function plannedListeners(config: ServerConfig): PlannedListener[] {
  const planned: PlannedListener[] = [];
  if (config.mqttPort !== null) planned.push({ flag: '--mqtt-port', port: config.mqttPort });
  if (config.mqttsPort !== null) planned.push({ flag: '--mqtts-port', port: config.mqttsPort });
  if (config.httpPort !== null) planned.push({ flag: '--http-port', port: config.httpPort });
  for (const port of config.httpsPorts) planned.push({ flag: '--https-port', port });
  return planned;
}

/**
 * Binds and releases every fixed port the configuration asks for, before anything is opened or
 * written, so a taken or privileged port fails the start with one line instead of after the
 * databases were created. Another process may still take a port between this probe and the real
 * bind; the real bind then fails with the same message (bindAs).
 */
export async function probeListeners(config: ServerConfig): Promise<void> {
  // One port given to two listeners is refused earlier, by the configuration checks.
  for (const listener of plannedListeners(config)) {
    if (listener.port === 0) continue;
    const probe = createServer();
    await bindAs(config.host, listener, () => listenOn(probe, config.host, listener.port));
    await closeOnce(probe)();
  }
}
