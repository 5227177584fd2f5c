import { createServer, type Socket } from 'node:net';
import type { Logger } from '../../observability/logger.js';
import { connectionInfo } from './connection-info.js';
import { ConnectionTracker } from './connection-tracker.js';
import { closeOnce, lastResortErrorHandler, listenOn } from './listen.js';
import type { BindAddress, ConnectionHandler, Listener } from './types.js';

export interface TcpListenerOptions extends BindAddress {
  readonly onConnection: ConnectionHandler;
  readonly logger: Logger;
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
  const port = await listenOn(server, options.host, options.port);
  server.on('error', (err) => options.logger.error({ err }, 'tcp listener error'));
  const stop = closeOnce(server);
  return {
    port,
    stopAccepting: () => void stop(),
    async close() {
      const closed = stop();
      tracker.destroyAll();
      await closed;
    },
  };
}
