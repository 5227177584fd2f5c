import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../../context.js';
import { batchImportRoute } from './batch-import.js';
import { RegionRedirect } from './device-request.js';
import { deviceStatusRoutes } from './device-status.js';
import { eventRoutes } from './events.js';
import { metadataRoutes } from './metadata.js';
import { propertyRoutes } from './properties.js';
import { reportRoutes } from './report-data.js';
import { uploadRoutes, uploadsOffRoute } from './upload.js';
import { valueReadRoutes } from './value-reads.js';
import { valueWriteRoutes } from './value-writes.js';

/** Every Device HTTPS API path starts so. */
export const EXTERNAL_API_PREFIX = '/external/api/';

/**
 * The Device HTTPS API (spec §6.1, §6.2): `/external/api/…`, authenticated by the device token in
 * the query string, so registered in its own scope without the bearer hook. Errors are
 * `{"error":{"message":…}}` with the exact texts of spec §7.2. The raw URL (it holds the token)
 * is never logged: the request log line names the route only.
 */
export async function externalApiRoutes(scope: FastifyInstance, ctx: RouteContext): Promise<void> {
  // Any body reaches the handlers as bytes, so a wrong type is the documented
  // `Unknown content type.` (spec §6.2 row 6) rather than a 415; JSON keeps the JSON parser.
  scope.setErrorHandler((err, _request, reply) => {
    if (err instanceof RegionRedirect) return reply.code(308).header('location', err.location).send();
    // Everything else: the application's handler (the `{"error":{"message"}}` envelope).
    throw err;
  });
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  valueReadRoutes(scope, ctx);
  valueWriteRoutes(scope, ctx);
  batchImportRoute(scope, ctx);
  propertyRoutes(scope, ctx);
  eventRoutes(scope, ctx);
  reportRoutes(scope, ctx);
  metadataRoutes(scope, ctx);
  deviceStatusRoutes(scope, ctx);
  const uploads = ctx.uploads;
  // Its own plugin: the multipart parser stays with the upload route.
  if (uploads === undefined) uploadsOffRoute(scope, ctx);
  else await scope.register(async (child) => uploadRoutes(child, ctx, uploads));
}
