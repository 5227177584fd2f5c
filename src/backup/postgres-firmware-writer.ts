import type pg from 'pg';
import { FirmwareIntake } from './archive-convert.js';
import { ArchiveError, type RecordData } from './archive-format.js';

interface OpenBlob {
  readonly intake: FirmwareIntake;
  chunks: number;
}

/**
 * Rebuilds firmware blobs (`firmware_blobs` rows) from `firmwareFile` + `firmwareChunk` records,
 * inside the sink's transaction. Chunks wait in a temporary table, so this process holds one
 * chunk at a time whatever the firmware's size; the blob is assembled by PostgreSQL and only
 * stored when its size and SHA-256 match its record.
 */
export class PgFirmwareWriter {
  private current: OpenBlob | undefined;
  private tableReady = false;
  files = 0;

  constructor(private readonly client: pg.PoolClient) {}

  async begin(data: RecordData): Promise<void> {
    await this.finish();
    const intake = new FirmwareIntake(data);
    if (!this.tableReady) {
      await this.client.query(
        'CREATE TEMPORARY TABLE archive_firmware_chunks (n integer PRIMARY KEY, bytes bytea NOT NULL) ON COMMIT DROP',
      );
      this.tableReady = true;
    }
    this.current = { intake, chunks: 0 };
  }

  async chunk(data: RecordData): Promise<void> {
    const blob = this.current;
    if (blob === undefined) throw new ArchiveError('firmwareChunk record outside a firmware file');
    const bytes = blob.intake.take(data);
    await this.client.query('INSERT INTO archive_firmware_chunks (n, bytes) VALUES ($1, $2)', [
      blob.chunks++,
      bytes,
    ]);
  }

  /** Stores the blob being written; it must be complete and match its hash. */
  async finish(): Promise<void> {
    const blob = this.current;
    if (blob === undefined) return;
    this.current = undefined;
    if (!blob.intake.isComplete()) throw blob.intake.damaged();
    // One statement: the chunks leave the temporary table and become the blob.
    await this.client.query(
      `WITH chunks AS (DELETE FROM archive_firmware_chunks RETURNING n, bytes)
       INSERT INTO firmware_blobs (sha256, bytes)
       SELECT $1, coalesce(string_agg(bytes, ''::bytea ORDER BY n), ''::bytea) FROM chunks
       ON CONFLICT (sha256) DO NOTHING`,
      [blob.intake.sha256],
    );
    this.files++;
  }
}
