import type { Socket } from 'node:net';
import type { ConnectionInfo } from '../../broker/auth.js';
import { peerOf } from './peer.js';

/** The ConnectionInfo of a socket; absent fields stay absent (exactOptionalPropertyTypes-safe). */
export function connectionInfo(transport: ConnectionInfo['transport'], socket: Socket): ConnectionInfo {
  const peer = peerOf(socket);
  return {
    transport,
    ...(peer.address === undefined ? {} : { remoteAddress: peer.address }),
    ...(peer.port === undefined ? {} : { remotePort: peer.port }),
    ...(socket.localPort === undefined ? {} : { localPort: socket.localPort }),
  };
}
