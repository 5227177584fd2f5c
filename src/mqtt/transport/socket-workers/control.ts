import type { ProxyProtocolSettings } from '../proxy-protocol/proxy-gate.js';

/**
 * Control messages between the broker process and a socket worker, over the IPC channel (JSON).
 * Socket bytes never travel here: they use the frame pipe (frames.ts).
 */

/** A listener every worker accepts on (node:cluster shares the port); TLS material as PEM text. */
export interface WorkerListenerSpec {
  readonly listenerId: number;
  readonly transport: 'tcp' | 'tls';
  readonly host: string;
  /** Never 0: the broker picks the port, so that every worker shares the same one. */
  readonly port: number;
  readonly tls?: WorkerTlsMaterial;
  /** TLS only: a handshake not finished within this time is dropped. */
  readonly handshakeTimeoutMs?: number;
  /** Connections start with a PROXY protocol header, read here before TLS. */
  readonly proxyProtocol?: ProxyProtocolSettings;
}

export interface WorkerTlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** broker → worker */
export type ToWorker =
  /** Start accepting on a listener; answered by `listening` or `listenError`. */
  | { readonly type: 'listen'; readonly spec: WorkerListenerSpec }
  /** Stop accepting on a listener; its connections stay. */
  | { readonly type: 'stop'; readonly listenerId: number }
  /** Stop accepting and destroy the listener's connections; answered by `closed`. */
  | { readonly type: 'close'; readonly listenerId: number }
  /** A reloaded certificate for every TLS listener; answered by `tlsSet` with the same generation. */
  | { readonly type: 'tls'; readonly tls: WorkerTlsMaterial; readonly generation: number }
  /** The broker is done with this worker: exit now. */
  | { readonly type: 'exit' };

/** worker → broker */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'listening'; readonly listenerId: number }
  | {
      readonly type: 'listenError';
      readonly listenerId: number;
      readonly message: string;
      readonly code?: string;
    }
  | { readonly type: 'closed'; readonly listenerId: number }
  | { readonly type: 'tlsSet'; readonly generation: number }
  | { readonly type: 'log'; readonly level: 'warn' | 'info'; readonly message: string };

/** The `open` frame's payload: what the broker learns of an accepted connection. */
export interface RemoteConnectionInfo {
  readonly transport: 'tcp' | 'tls';
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localPort?: number;
}

/** The worker's end of the frame pipe (fd 4: stdio entry 4 of the fork, a socketpair). */
export const FRAME_PIPE_FD = 4;
