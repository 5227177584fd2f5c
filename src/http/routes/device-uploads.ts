import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../platform/errors.js';
import type { UploadStore } from '../../platform/uploads/upload-store.js';

/**
 * Types shown inline: images and plain data. Everything else (HTML, SVG, scripts, archives) is
 * sent as a download, so a device's file can never run as a page of this origin.
 */
const INLINE_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
};

function headersFor(stored: string): Record<string, string> {
  const dot = stored.lastIndexOf('.');
  const type = dot === -1 ? undefined : INLINE_TYPES[stored.slice(dot)];
  return {
    'content-type': type ?? 'application/octet-stream',
    ...(type === undefined ? { 'content-disposition': `attachment; filename="${stored}"` } : {}),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    // The same name may be uploaded again (spec §6.2 row 14: it overwrites).
    'cache-control': 'no-cache',
  };
}

type Served = { Params: { deviceId: string; name: string } };

/**
 * `GET /device_uploads/{deviceId}/{name}` (spec §6.2 row 14): the files devices uploaded, by the
 * URL the upload answered. No credentials: the stored name is the unguessable part. Unknown → 404.
 */
export function deviceUploadRoutes(app: FastifyInstance, store: UploadStore): void {
  const schema = { hide: true } as const;
  app.get<Served>('/device_uploads/:deviceId/:name', { schema }, async (request, reply) => {
    const { deviceId, name } = request.params;
    // Read whole (at most the upload limit, 5 MB by default): a later upload of the same name
    // cannot change the bytes or the length mid-answer.
    const bytes = /^\d{1,15}$/.test(deviceId) ? await store.read(Number(deviceId), name) : undefined;
    if (bytes === undefined) throw new NotFoundError('File not found.');
    return reply.headers(headersFor(name)).header('content-length', bytes.length).send(bytes);
  });
}
