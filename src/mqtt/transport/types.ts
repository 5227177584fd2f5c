import type { Duplex } from 'node:stream';
import type { ConnectionInfo } from '../../broker/auth.js';

/** Receives each accepted connection; takes ownership of the stream. */
export type ConnectionHandler = (stream: Duplex, info: ConnectionInfo) => void;

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
