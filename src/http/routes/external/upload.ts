import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DeviceUploads, RouteContext } from '../../context.js';
import {
  authenticateWrite,
  DeviceApiError,
  DeviceApiText,
  hidden,
  markSeen,
  runtimeOf,
} from './device-request.js';

/** The form field holding the file (spec §6.2 row 14). */
const FIELD = 'upfile';
const LIMIT_TEXT = 'File uploads limit has been reached.';
const MAX_NAME = 255;

/** The file name as given, without a path, control characters or surrounding space; never empty. */
export function cleanFileName(given: string): string {
  const base = given.split(/[/\\]/).at(-1) ?? '';
  const clean = base
    .replace(/\p{Cc}/gu, '')
    .trim()
    .slice(0, MAX_NAME);
  return clean === '' || clean === '.' || clean === '..' ? 'upload' : clean;
}

/** The `upfile` part of the form, read whole (at most `maxBytes`); other parts are refused. */
async function readUpfile(
  request: FastifyRequest,
  maxBytes: number,
): Promise<{ name: string; data: Buffer }> {
  if (!request.isMultipart()) throw new DeviceApiError(DeviceApiText.unknownContentType);
  let found: { name: string; data: Buffer } | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== FIELD || found !== undefined) {
        part.file.resume();
        continue;
      }
      found = { name: cleanFileName(part.filename), data: await part.toBuffer() };
    }
  } catch (err) {
    const { code, statusCode } = err as { code?: string; statusCode?: number };
    if (code === 'FST_REQ_FILE_TOO_LARGE')
      throw new DeviceApiError(`File is larger than ${maxBytes} bytes.`, 413);
    // The plugin's own limits keep their 4xx; the parser's complaints are a bad form.
    if (statusCode !== undefined && statusCode < 500) throw err;
    throw new DeviceApiError('Malformed multipart form.');
  }
  if (found === undefined) throw new DeviceApiError(`No file in the form field "${FIELD}".`);
  return found;
}

/**
 * `POST /external/api/upload?token=…` (spec §6.2 row 14, §7.1): a multipart form whose `upfile`
 * is stored for the device; the answer (200, text) is the URL it is served at,
 * `{public URL}/device_uploads/{deviceId}/{stored name}`. Up to `uploadMaxFiles` files per
 * device (the oldest evicted), `maxBytes` each (larger: 413), the same name overwrites (same
 * URL); over the daily upload count, or with uploads off, 403 `File uploads limit has been
 * reached.`. The request takes from the device's message rate as every write does.
 */
export async function uploadRoutes(
  scope: FastifyInstance,
  ctx: RouteContext,
  uploads: DeviceUploads,
): Promise<void> {
  await scope.register(multipart, {
    limits: { fileSize: uploads.maxBytes, files: 4, fields: 16, parts: 32, fieldSize: 1024, headerPairs: 64 },
  });
  scope.post('/external/api/upload', hidden, async (request, reply) => {
    const { device } = await authenticateWrite(ctx, request);
    const runtime = runtimeOf(ctx);
    if (uploads.store.maxFiles === 0) throw new DeviceApiError(LIMIT_TEXT, 403);
    const file = await readUpfile(request, uploads.maxBytes);
    if (!runtime.limits.upload(device.id)) throw new DeviceApiError(LIMIT_TEXT, 403);
    const stored = await uploads.store.save(device.id, file.name, file.data);
    markSeen(ctx, device.id);
    return reply
      .type('text/plain; charset=utf-8')
      .send(deviceUploadUrl(uploads.publicUrl(), device.id, stored));
  });
}

/** Where a stored file is served (spec §6.2 row 14: `https://{host}/device_uploads/{n}/{name}`). */
export function deviceUploadUrl(base: string, deviceId: number, stored: string): string {
  return `${base.replace(/\/+$/, '')}/device_uploads/${deviceId}/${stored}`;
}

/** Without a store: the route exists and authenticates, but uploads are refused. */
export function uploadsOffRoute(scope: FastifyInstance, ctx: RouteContext): void {
  scope.post('/external/api/upload', hidden, async (request) => {
    await authenticateWrite(ctx, request);
    throw new DeviceApiError(LIMIT_TEXT, 403);
  });
}
