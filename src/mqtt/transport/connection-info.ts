import type { Socket } from 'node:net';
import type { ConnectionInfo } from '../../broker/auth.js';

/** The ConnectionInfo of a socket; absent fields stay absent (exactOptionalPropertyTypes-safe). */
export function connectionInfo(transport: ConnectionInfo['transport'], socket: Socket): ConnectionInfo {
  return {
    transport,
    ...(socket.remoteAddress === undefined ? {} : { remoteAddress: socket.remoteAddress }),
    ...(socket.remotePort === undefined ? {} : { remotePort: socket.remotePort }),
    ...(socket.localPort === undefined ? {} : { localPort: socket.localPort }),
  };
}
