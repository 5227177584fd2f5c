import type { Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../../observability/logger.js';
import { connectionInfo } from './connection-info.js';
import { ConnectionTracker } from './connection-tracker.js';
import { closeOnce, lastResortErrorHandler, listenOn } from './listen.js';
import { peerOf } from './peer.js';
import { gateServer, type ProxyProtocolSettings } from './proxy-protocol/proxy-gate.js';
import type { TlsCredentials } from './tls-credentials.js';
import type { BindAddress, ConnectionHandler, Listener } from './types.js';

export interface TlsListenerOptions extends BindAddress {
  readonly credentials: TlsCredentials;
  readonly onConnection: ConnectionHandler;
  readonly logger: Logger;
  /** A handshake not finished within this time is dropped (slow or idle clients). */
  readonly handshakeTimeoutMs: number;
  /** Every connection must start with a PROXY protocol header (v1 or v2), before the TLS handshake. */
  readonly proxyProtocol?: ProxyProtocolSettings;
}

/** MQTT over TLS 1.2/1.3 (mqtts). The certificate follows `credentials` reloads. */
export async function listenTls(options: TlsListenerOptions): Promise<Listener> {
  const tracker = new ConnectionTracker();
  const server = createServer({
    ...options.credentials.serverOptions(),
    handshakeTimeout: options.handshakeTimeoutMs,
  });
  // Raw sockets too, so close() also ends handshakes still in progress.
  server.on('connection', (socket: Socket) => tracker.add(socket));
  const onError = (err: Error): void => options.logger.debug({ err: err.message }, 'tls socket error');
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.setNoDelay(true);
    tracker.add(socket);
    options.onConnection(socket, connectionInfo('tls', socket));
    lastResortErrorHandler(socket, onError);
  });
  // Failed handshakes (old TLS versions, scanners, plain MQTT on the TLS port): not our errors.
  server.on('tlsClientError', (err, socket) =>
    options.logger.debug({ err: err.message, remoteAddress: peerOf(socket).address }, 'tls handshake failed'),
  );
  // The handshake starts once the header is read: the TLS server's own listener sits behind the gate.
  const gate = gateServer(server, options.proxyProtocol, 'paused', (reason, socket) =>
    options.logger.debug({ reason, remoteAddress: peerOf(socket).address }, 'tls: PROXY header refused'),
  );
  const port = await listenOn(server, options.host, options.port);
  server.on('error', (err) => options.logger.error({ err }, 'tls listener error'));
  options.credentials.attach(server);
  const stop = closeOnce(server);
  return {
    port,
    stopAccepting: () => {
      options.credentials.detach(server);
      void stop();
    },
    async close() {
      options.credentials.detach(server);
      const closed = stop();
      gate?.destroyPending();
      tracker.destroyAll();
      await closed;
    },
  };
}
