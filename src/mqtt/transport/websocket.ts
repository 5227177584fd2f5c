import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../observability/logger.js';
import { connectionInfo } from './connection-info.js';
import { ConnectionTracker } from './connection-tracker.js';
import { createHttpServer, type HttpRequestHandler } from './http-server.js';
import { closeOnce, lastResortErrorHandler, listenOn } from './listen.js';
import { peerOf } from './peer.js';
import { gateServer, type ProxyProtocolSettings } from './proxy-protocol/proxy-gate.js';
import type { TlsCredentials } from './tls-credentials.js';
import type { BindAddress, ConnectionHandler, Listener } from './types.js';
import { webSocketDuplex } from './websocket-duplex.js';

/** The one path that upgrades to MQTT; any other upgrade is answered 404. */
export const MQTT_WS_PATH = '/mqtt';

/**
 * Sub-protocols we speak, in no order of preference: we pick the first one the client offers.
 * `mqtt` is the registered name [MQTT-6.0.0-4]; the others are what MQTT 3.1 clients send.
 */
export const MQTT_WS_PROTOCOLS: ReadonlySet<string> = new Set(['mqtt', 'mqttv3.1', 'mqttv3']);

export interface WebSocketListenerOptions extends BindAddress {
  /** wss (HTTPS) when credentials are given, ws (plain HTTP) otherwise. */
  readonly credentials?: TlsCredentials;
  readonly onConnection: ConnectionHandler;
  readonly logger: Logger;
  /** Largest WebSocket message accepted: the engine's maximum packet size. */
  readonly maxPayload: number;
  /** Header, request and TLS handshake timeout. */
  readonly timeoutMs: number;
  /** Plain HTTP requests on this port (404 by default). */
  readonly httpHandler?: HttpRequestHandler;
  /** Connections this listener holds at once, HTTP and WebSocket together. */
  readonly maxConnections?: number;
  /** How often timed-out HTTP connections are reaped, ms. */
  readonly connectionsCheckingIntervalMs?: number;
  /**
   * Every connection must start with a PROXY protocol header (v1 or v2), before TLS and HTTP:
   * WebSocket MQTT and the HTTP API on this port then both see the address it names.
   */
  readonly proxyProtocol?: ProxyProtocolSettings;
}

/**
 * Picks the first offered sub-protocol we support. A client offering none of ours is still
 * accepted, without a Sec-WebSocket-Protocol header (as aedes does): clients that send no
 * header at all work, and RFC 6455 clients that required one fail on their side.
 */
export function selectProtocol(offered: ReadonlySet<string>): string | false {
  for (const protocol of offered) if (MQTT_WS_PROTOCOLS.has(protocol.toLowerCase())) return protocol;
  return false;
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query === -1 ? raw : raw.slice(0, query);
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Upgrades `/mqtt` to a WebSocket and hands its byte stream to the engine; other paths get 404. */
function upgradeHandler(
  options: WebSocketListenerOptions,
  transport: 'ws' | 'wss',
  tracker: ConnectionTracker,
): UpgradeHandler {
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: options.maxPayload,
    handleProtocols: (offered) => selectProtocol(offered),
  });
  const onError = (err: Error): void =>
    options.logger.debug({ err: err.message }, `${transport} stream error`);
  return (request, socket, head) => {
    if (pathOf(request.url) !== MQTT_WS_PATH) {
      refuseUpgrade(socket, '404 Not Found');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const stream = webSocketDuplex(ws);
      tracker.add(stream);
      options.onConnection(stream, connectionInfo(transport, request.socket));
      lastResortErrorHandler(stream, onError);
    });
  };
}

/** MQTT over WebSocket at `/mqtt` on an HTTP (ws) or HTTPS (wss) server. */
export async function listenWebSocket(options: WebSocketListenerOptions): Promise<Listener> {
  const transport = options.credentials === undefined ? 'ws' : 'wss';
  const tracker = new ConnectionTracker();
  const server = createHttpServer({
    timeoutMs: options.timeoutMs,
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.connectionsCheckingIntervalMs === undefined
      ? {}
      : { connectionsCheckingIntervalMs: options.connectionsCheckingIntervalMs }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.httpHandler === undefined ? {} : { handler: options.httpHandler }),
  });
  server.on('upgrade', upgradeHandler(options, transport, tracker));
  server.on('drop', (data?: { remoteAddress?: string }) =>
    options.logger.debug({ remoteAddress: data?.remoteAddress }, `${transport} connection cap reached`),
  );
  server.on('tlsClientError', (err: Error) =>
    options.logger.debug({ err: err.message }, 'tls handshake failed'),
  );
  const gate = gateServer(
    server,
    options.proxyProtocol,
    transport === 'wss' ? 'paused' : 'flowing',
    (reason, socket) =>
      options.logger.debug(
        { reason, remoteAddress: peerOf(socket).address },
        `${transport}: PROXY header refused`,
      ),
  );
  const port = await listenOn(server, options.host, options.port);
  server.on('error', (err) => options.logger.error({ err }, `${transport} listener error`));
  if (options.credentials !== undefined && 'setSecureContext' in server) options.credentials.attach(server);
  const stop = closeOnce(server);
  const detach = (): void => {
    if (options.credentials !== undefined && 'setSecureContext' in server) options.credentials.detach(server);
  };
  return {
    port,
    stopAccepting: () => {
      detach();
      void stop();
    },
    async close() {
      detach();
      const closed = stop();
      server.closeAllConnections();
      gate?.destroyPending();
      tracker.destroyAll();
      await closed;
    },
  };
}
