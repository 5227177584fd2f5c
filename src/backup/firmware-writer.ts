import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FirmwareFiles } from '../ota/firmware-files.js';
import { FirmwareIntake } from './archive-convert.js';
import { ArchiveError, type RecordData } from './archive-format.js';

interface OpenFile {
  readonly intake: FirmwareIntake;
  readonly temp: string;
  readonly handle: FileHandle;
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
    const intake = new FirmwareIntake(data);
    await mkdir(this.firmware.dir, { recursive: true, mode: 0o700 });
    const temp = join(this.firmware.dir, `.${intake.sha256}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    this.current = { intake, temp, handle };
  }

  async chunk(data: RecordData): Promise<void> {
    const file = this.current;
    if (file === undefined) throw new ArchiveError('firmwareChunk record outside a firmware file');
    await file.handle.write(file.intake.take(data));
  }

  /** Closes the file being written; it must be complete and match its hash. */
  async finish(): Promise<void> {
    const file = this.current;
    if (file === undefined) return;
    this.current = undefined;
    await file.handle.close();
    if (!file.intake.isComplete()) {
      await unlink(file.temp);
      throw file.intake.damaged();
    }
    await rename(file.temp, this.firmware.pathOf(file.intake.sha256));
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
