import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OtaService } from '../../ota/types.js';
import { PlatformError } from '../../platform/errors.js';
import { errorResponses } from '../schemas/common.js';
import type { HttpThrottle } from '../throttle.js';

const schema = {
  tags: ['ota'],
  summary: 'Download a firmware package with the token from downlink/ota/json (no bearer)',
  params: {
    type: 'object',
    required: ['file'],
    properties: { file: { type: 'string', maxLength: 128, description: '{sha256}.bin' } },
  },
  // Lenient: a device may append parameters of its own; only `token` is read.
  querystring: { type: 'object', properties: { token: { type: 'string', maxLength: 256 } } },
  response: {
    200: { type: 'string', format: 'binary', description: 'the firmware image' },
    ...errorResponses,
  },
} as const;

/** The one refusal that means a wrong token (the download limit is a 403 too, and no guess). */
const INVALID_TOKEN = 'Invalid token.';

type Download = { Params: { file: string }; Querystring: { token?: string } };

/**
 * `GET /static/{file}?token=…` (spec §6.2 note, §3.4 headers): the URL of `downlink/ota/json`.
 * The token authorizes; a missing, bad or expired one is 403 `Invalid token.`. HEAD answers the
 * headers without counting a download.
 */
export function firmwareDownloadRoutes(app: FastifyInstance, ota: OtaService, throttle: HttpThrottle): void {
  const url = '/static/:file';
  /** The download token checked under failed-login throttling: `Invalid token.` counts as a failure. */
  const authorize = async (request: FastifyRequest<Download>, counted: boolean) => {
    throttle.guard(request);
    try {
      return await ota.authorizeDownload(request.params.file, request.query.token ?? '', counted);
    } catch (err) {
      if (err instanceof PlatformError && err.message === INVALID_TOKEN) throttle.failed(request);
      throw err;
    }
  };
  // An explicit HEAD (before GET, so Fastify adds none) keeps the real content-length.
  app.head<Download>(url, { schema: { ...schema, hide: true } }, async (request, reply) => {
    const served = await authorize(request, false);
    return reply.headers(served.headers).header('content-length', served.size).send();
  });
  app.get<Download>(url, { schema }, async (request, reply) => {
    const served = await authorize(request, true);
    const body = await served.body();
    return reply.headers(served.headers).header('content-length', served.size).send(body);
  });
}
