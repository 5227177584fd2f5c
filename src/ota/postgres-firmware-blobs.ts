import { Readable } from 'node:stream';
import type pg from 'pg';
import type { FirmwareBlobs } from './firmware-blobs.js';

/** Bytes per read of a streamed firmware: one bounded piece in memory per download at a time. */
export const BLOB_CHUNK_BYTES = 256 * 1024;

interface ChunkRow {
  size: number;
  chunk: Buffer;
}

/**
 * Firmware bytes as rows of `firmware_blobs` (one per content). A download reads them in
 * BLOB_CHUNK_BYTES pieces (`substring` of an uncompressed, out-of-line column reads only the
 * pieces asked for), so a large image is never whole in memory and holds no connection between
 * pieces.
 */
export function createPostgresFirmwareBlobs(pool: pg.Pool): FirmwareBlobs {
  const chunkAt = async (sha256: string, offset: number): Promise<ChunkRow | undefined> => {
    const { rows } = await pool.query<ChunkRow>(
      `SELECT octet_length(bytes) AS size, substring(bytes FROM $2::int FOR $3::int) AS chunk
       FROM firmware_blobs WHERE sha256 = $1`,
      [sha256, offset + 1, BLOB_CHUNK_BYTES],
    );
    return rows[0];
  };
  return {
    async save(sha256, bytes) {
      await pool.query(
        'INSERT INTO firmware_blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING',
        [sha256, bytes],
      );
    },
    async stream(sha256) {
      const first = await chunkAt(sha256, 0);
      if (first === undefined) return undefined;
      const { size } = first;
      let offset = first.chunk.length;
      let pending: Buffer | undefined = first.chunk;
      return new Readable({
        read() {
          if (pending !== undefined) {
            const chunk = pending;
            pending = undefined;
            if (chunk.length > 0) this.push(chunk);
            if (offset >= size) this.push(null);
            return;
          }
          chunkAt(sha256, offset).then(
            (row) => {
              // Removed (or replaced by other bytes) mid-download: the answer cannot be completed.
              if (row === undefined || row.size !== size || row.chunk.length === 0) {
                this.destroy(new Error(`firmware ${sha256} changed while it was being read`));
                return;
              }
              offset += row.chunk.length;
              this.push(row.chunk);
              if (offset >= size) this.push(null);
            },
            (err: unknown) => this.destroy(err as Error),
          );
        },
      });
    },
    async remove(sha256) {
      await pool.query('DELETE FROM firmware_blobs WHERE sha256 = $1', [sha256]);
    },
    async sweep(keep) {
      // Also kept: bytes a firmware row names now (committed since `keep` was read).
      const { rowCount } = await pool.query(
        `DELETE FROM firmware_blobs b
         WHERE NOT (b.sha256 = ANY($1::text[]))
           AND NOT EXISTS (SELECT 1 FROM firmware f WHERE f.sha256 = b.sha256)`,
        [[...keep]],
      );
      return rowCount ?? 0;
    },
  };
}
