import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
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
}

/** Header and request limits that keep slow or hostile HTTP clients from holding sockets. */
const MAX_HEADER_BYTES = 16 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

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
  };
  if (options.credentials === undefined) return createHttp(common, handler);
  return createHttps(
    { ...common, ...options.credentials.serverOptions(), handshakeTimeout: options.timeoutMs },
    handler,
  );
}
