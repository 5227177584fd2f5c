import { createHash, type Hash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FirmwareFiles } from '../ota/firmware-files.js';
import { firmwareFileOf } from './archive-convert.js';
import { ArchiveError, type RecordData } from './archive-format.js';

interface OpenFile {
  readonly sha256: string;
  readonly size: number;
  readonly temp: string;
  readonly handle: FileHandle;
  readonly hash: Hash;
  written: number;
}

/**
 * Rebuilds firmware files from `firmwareFile` + `firmwareChunk` records: bytes go to a temporary
 * file, and only a file whose size and SHA-256 match its record is renamed into place.
 */
export class FirmwareWriter {
  private current: OpenFile | undefined;
  files = 0;

  constructor(private readonly firmware: FirmwareFiles) {}

  async begin(data: RecordData): Promise<void> {
    await this.finish();
    const { sha256, size } = firmwareFileOf(data);
    await mkdir(this.firmware.dir, { recursive: true, mode: 0o700 });
    const temp = join(this.firmware.dir, `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    this.current = { sha256, size, temp, handle, hash: createHash('sha256'), written: 0 };
  }

  async chunk(data: RecordData): Promise<void> {
    const file = this.current;
    if (file === undefined) throw new ArchiveError('firmwareChunk record outside a firmware file');
    const bytes = Buffer.from(String(data.bytes), 'base64');
    file.written += bytes.length;
    if (file.written > file.size)
      throw new ArchiveError(`firmware file ${file.sha256} is longer than its record says`);
    file.hash.update(bytes);
    await file.handle.write(bytes);
  }

  /** Closes the file being written; it must be complete and match its hash. */
  async finish(): Promise<void> {
    const file = this.current;
    if (file === undefined) return;
    this.current = undefined;
    await file.handle.close();
    const sha = file.hash.digest('hex');
    if (file.written !== file.size || sha !== file.sha256) {
      await unlink(file.temp);
      throw new ArchiveError(
        `firmware file ${file.sha256} in the archive is damaged (size or SHA-256 differ)`,
      );
    }
    await rename(file.temp, this.firmware.pathOf(file.sha256));
    this.files++;
  }

  /** Removes a half-written file after a failure. */
  async discard(): Promise<void> {
    const file = this.current;
    this.current = undefined;
    if (file === undefined) return;
    await file.handle.close().catch(() => undefined);
    await unlink(file.temp).catch(() => undefined);
  }
}
