import type { Socket } from 'node:net';

/** The client end of a connection: the socket's own, or the one a PROXY protocol header gave. */
export interface Peer {
  readonly address?: string;
  readonly port?: number;
}

const PEER = Symbol('devgate.peer');

interface Tagged {
  [PEER]?: Peer;
  /** The accepted socket a TLS socket wraps (Node's own field); the peer is recorded on that one. */
  _parent?: Tagged | null;
  remoteAddress?: string;
  remotePort?: number;
}

/** Records the client address a PROXY header gave for `socket` (the accepted, raw socket). */
export function recordPeer(socket: Socket, peer: Peer): void {
  (socket as unknown as Tagged)[PEER] = peer;
}

/**
 * The one place the client address of a socket is read: what a PROXY header recorded for it (or
 * for the raw socket under a TLS socket), else the socket's own remote end. Everything that keys,
 * logs or reports by address (throttling, connection logs, $SYS, presence) goes through here.
 */
export function peerOf(socket: Socket): Peer {
  const tagged = socket as unknown as Tagged;
  const recorded = tagged[PEER] ?? tagged._parent?.[PEER];
  if (recorded !== undefined) return recorded;
  return {
    ...(tagged.remoteAddress === undefined ? {} : { address: tagged.remoteAddress }),
    ...(tagged.remotePort === undefined ? {} : { port: tagged.remotePort }),
  };
}
