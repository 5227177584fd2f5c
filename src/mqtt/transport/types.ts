import type { ConnectionInfo } from '../../broker/auth.js';

/**
 * The part of a byte stream the MQTT connection uses: a net/tls socket, a WebSocket stream,
 * or a socket worker's remote stream all have it.
 */
export interface TransportStream {
  readonly writableLength: number;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close' | 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  cork(): void;
  uncork(): void;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  destroy(): unknown;
}

/** Receives each accepted connection; takes ownership of the stream. */
export type ConnectionHandler = (stream: TransportStream, info: ConnectionInfo) => void;

/** A bound listening socket. */
export interface Listener {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops accepting new connections; existing ones are left to their owner. */
  stopAccepting(): void;
  /** Stops accepting, destroys connections still open, resolves once the server is closed. */
  close(): Promise<void>;
}

/** Where to bind. Port 0 lets the OS pick. */
export interface BindAddress {
  readonly host: string;
  readonly port: number;
}
