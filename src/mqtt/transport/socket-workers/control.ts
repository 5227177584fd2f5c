/**
 * Control messages between the broker process and a socket worker, over the cluster IPC channel
 * (JSON). Socket bytes never travel here: they use the frame pipe (frames.ts).
 */

/** What a socket worker needs to serve one listener's connections; TLS material travels as PEM text. */
export interface WorkerListenerSpec {
  readonly listenerId: number;
  readonly transport: 'tcp' | 'tls';
  readonly tls?: WorkerTlsMaterial;
  /** TLS only: a handshake not finished within this time is dropped. */
  readonly handshakeTimeoutMs?: number;
}

export interface WorkerTlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** broker → worker */
export type ToWorker =
  /** Connections of this listener will come; sent before the first of them. */
  | { readonly type: 'listener'; readonly spec: WorkerListenerSpec }
  /** An accepted connection (the socket travels as the message's handle). */
  | { readonly type: 'socket'; readonly listenerId: number }
  /** Destroy the listener's connections; answered by `closed`. */
  | { readonly type: 'close'; readonly listenerId: number }
  /** A reloaded certificate for every TLS listener. */
  | { readonly type: 'tls'; readonly tls: WorkerTlsMaterial };

/** worker → broker */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'closed'; readonly listenerId: number };

/** The `open` frame's payload: what the broker learns of an accepted connection. */
export interface RemoteConnectionInfo {
  readonly transport: 'tcp' | 'tls';
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

/** The worker's end of the frame pipe (fd 4: stdio entry 4 of the fork, a socketpair). */
export const FRAME_PIPE_FD = 4;
