import { createServer, type Socket } from 'node:net';
import type { Logger } from '../../observability/logger.js';
import { connectionInfo } from './connection-info.js';
import { ConnectionTracker } from './connection-tracker.js';
import { closeOnce, lastResortErrorHandler, listenOn } from './listen.js';
import { peerOf } from './peer.js';
import { gateServer, type ProxyProtocolSettings } from './proxy-protocol/proxy-gate.js';
import type { BindAddress, ConnectionHandler, Listener } from './types.js';

export interface TcpListenerOptions extends BindAddress {
  readonly onConnection: ConnectionHandler;
  readonly logger: Logger;
  /** Every connection must start with a PROXY protocol header (v1 or v2). */
  readonly proxyProtocol?: ProxyProtocolSettings;
}

/** Plain MQTT over TCP. */
export async function listenTcp(options: TcpListenerOptions): Promise<Listener> {
  const tracker = new ConnectionTracker();
  const onError = (err: Error): void => options.logger.debug({ err: err.message }, 'tcp socket error');
  const server = createServer({ noDelay: true }, (socket: Socket) => {
    socket.setNoDelay(true);
    tracker.add(socket);
    options.onConnection(socket, connectionInfo('tcp', socket));
    lastResortErrorHandler(socket, onError);
  });
  const gate = gateServer(server, options.proxyProtocol, 'flowing', (reason, socket) =>
    options.logger.debug({ reason, remoteAddress: peerOf(socket).address }, 'tcp: PROXY header refused'),
  );
  const port = await listenOn(server, options.host, options.port);
  server.on('error', (err) => options.logger.error({ err }, 'tcp listener error'));
  const stop = closeOnce(server);
  return {
    port,
    stopAccepting: () => void stop(),
    async close() {
      const closed = stop();
      gate?.destroyPending();
      tracker.destroyAll();
      await closed;
    },
  };
}
