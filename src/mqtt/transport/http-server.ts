import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TlsCredentials } from './tls-credentials.js';

/** Handles plain HTTP requests (not upgrades). A later layer mounts the HTTP API here. */
export type HttpRequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Until the HTTP API exists every plain request is a 404. */
export const notFoundHandler: HttpRequestHandler = (_request, response) => {
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('not found\n');
};

/** Either flavour; both emit 'request' and 'upgrade' alike. */
export type HttpServer = Server | HttpsServer;

export interface HttpServerOptions {
  readonly handler?: HttpRequestHandler;
  /** HTTPS when given, with the same (reloadable) certificate as the other TLS listeners. */
  readonly credentials?: TlsCredentials;
  /** Also bounds how long a TLS handshake may take. */
  readonly timeoutMs: number;
  /** Connections held at once (WebSocket upgrades included); more are closed on accept. */
  readonly maxConnections?: number;
  /** How often connections past the header/request timeouts are reaped, ms. */
  readonly connectionsCheckingIntervalMs?: number;
}

/** Header and request limits that keep slow or hostile HTTP clients from holding sockets. */
const MAX_HEADER_BYTES = 16 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * Node's default is 30 s: every connection that timed out meanwhile is destroyed in one go, and
 * 10 000 idle ones stall the event loop for seconds. Checking each second spreads the reaping.
 */
const CONNECTIONS_CHECK_MS = 1_000;

/**
 * The one place HTTP(S) servers are made, for the MQTT-over-WebSocket upgrade and for the HTTP
 * API. Plain requests go to `handler`; upgrades are left to whoever listens for 'upgrade'.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const handler = options.handler ?? notFoundHandler;
  const common = {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: options.timeoutMs,
    requestTimeout: Math.max(REQUEST_TIMEOUT_MS, options.timeoutMs),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: options.connectionsCheckingIntervalMs ?? CONNECTIONS_CHECK_MS,
  };
  // The request has arrived: from here requestTimeout and the handler bound it, not the idle timer.
  const served: HttpRequestHandler = (request, response) => {
    request.socket.setTimeout(0);
    handler(request, response);
  };
  const server =
    options.credentials === undefined
      ? createHttp(common, served)
      : createHttps(
          { ...common, ...options.credentials.serverOptions(), handshakeTimeout: options.timeoutMs },
          served,
        );
  // Node's timeout checks only see connections that started a request; one that sends nothing
  // would be held forever. Its own idle timer closes it (node destroys a socket whose 'timeout'
  // nobody handles); keep-alive then re-arms it, WebSocket upgrades clear it.
  server.on('connection', (socket: Socket) => socket.setTimeout(options.timeoutMs));
  // Past the cap node closes each new socket on accept; upgraded (WebSocket) sockets still count.
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  return server;
}
