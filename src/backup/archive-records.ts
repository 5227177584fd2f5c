import { type ArchiveRecord, SpecialKind } from './archive-format.js';
import type { ArchiveSource } from './archive-store.js';
import { TABLES } from './archive-tables.js';

const ENGINE_KINDS = new Set(TABLES.filter((t) => t.database === 'engine').map((t) => t.kind));

/** A firmware file as records: its size and hash, then its bytes in chunks (never whole in memory). */
async function* firmwareRecords(source: ArchiveSource, sha256: string): AsyncGenerator<ArchiveRecord> {
  const content = await source.firmware(sha256);
  yield { kind: SpecialKind.FirmwareFile, data: { sha256, size: content.size } };
  for await (const chunk of content.chunks())
    yield { kind: SpecialKind.FirmwareChunk, data: { bytes: chunk.toString('base64') } };
}

/**
 * Every record of `source` as the archive lists them: the source's records with the firmware
 * files (the distinct hashes the firmware rows name, sorted) right after the platform's records,
 * before the engine's. Used by export (to a file) and by migrate-to (straight into a sink).
 */
export async function* archiveRecords(source: ArchiveSource): AsyncGenerator<ArchiveRecord> {
  const hashes = new Set<string>();
  let placed = false;
  async function* firmware(): AsyncGenerator<ArchiveRecord> {
    placed = true;
    for (const sha of [...hashes].sort()) yield* firmwareRecords(source, sha);
  }
  for await (const record of source.records()) {
    if (record.kind === 'firmware') hashes.add(String(record.data.sha256));
    if (!placed && ENGINE_KINDS.has(record.kind)) yield* firmware();
    yield record;
  }
  if (!placed) yield* firmware();
}
