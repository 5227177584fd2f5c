import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The web console (decision 0026): the Vite build in `dist/console`, served by the same HTTP(S)
 * listeners as the API. `/` and every client-side route answer `index.html`; `/assets/…` are the
 * hashed bundles, cached for a year. Nothing is loaded from another origin.
 */

/** `dist/console`, next to `dist/src` where this module is compiled to. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/** First path segments the console never answers: the APIs and operations endpoints keep their 404s. */
const NOT_CONSOLE = new Set([
  'api',
  'oauth2',
  'external',
  'static',
  'device_uploads',
  'assets',
  'mqtt',
  'metrics',
  'healthz',
  'readyz',
]);

/**
 * Only 'self': scripts, styles, images, fonts and fetch/SSE all come from devgate itself. No
 * inline scripts or styles in the built HTML (JavaScript may still set element styles).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT =
  'The web console was not built: dist/console/index.html is missing.\n' +
  'Run `npm run build` (or `npm start`, which builds what is stale), then restart devgate.\n' +
  'The Platform API under /api is served regardless.\n';

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

export interface ConsoleSite {
  /** For the not-found handler: answers a client-side route with the console; false otherwise. */
  fallback(request: FastifyRequest, reply: FastifyReply): boolean;
}

/** A client-side route: a GET for a path outside the APIs whose last segment has no extension. */
function isConsoleRoute(request: FastifyRequest): boolean {
  if (request.method !== 'GET') return false;
  const path = request.url.split('?', 1)[0] ?? '/';
  const first = path.split('/', 2)[1] ?? '';
  if (NOT_CONSOLE.has(first)) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
}

/**
 * Registers `/`, `/index.html` and `/assets/…` on `app`. With no build in `dir` (a checkout where
 * only `tsc` ran) the console paths answer 503 with what to run, and the API works as before.
 */
export async function registerConsole(app: FastifyInstance, dir = DEFAULT_CONSOLE_DIR): Promise<ConsoleSite> {
  const indexPath = join(dir, 'index.html');
  // Read once: index.html names the hashed assets registered below, so both come from one build.
  const index = existsSync(indexPath) ? readFileSync(indexPath) : undefined;
  const answer = (reply: FastifyReply): FastifyReply =>
    index === undefined
      ? reply.code(503).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(NOT_BUILT)
      : securityHeaders(reply)
          .header('cache-control', 'no-cache')
          .type('text/html; charset=utf-8')
          .send(index);
  app.get('/', { schema: { hide: true } }, (_request, reply) => answer(reply));
  app.get('/index.html', { schema: { hide: true } }, (_request, reply) => answer(reply));
  const assets = join(dir, 'assets');
  if (index !== undefined && existsSync(assets))
    await app.register(async (scope) => {
      scope.addHook('onSend', (_request, reply, payload, done) => {
        securityHeaders(reply);
        done(null, payload);
      });
      await scope.register(fastifyStatic, {
        root: assets,
        prefix: '/assets/',
        // One route per built file (found at start), not a catch-all: unknown assets stay 404s.
        wildcard: false,
        decorateReply: false,
        schemaHide: true,
        // Hashed names: a changed file gets a new name, so a year-long cache is safe.
        immutable: true,
        maxAge: '365d',
        index: false,
        dotfiles: 'deny',
      });
    });
  return {
    fallback(request, reply) {
      if (!isConsoleRoute(request)) return false;
      answer(reply);
      return true;
    },
  };
}
