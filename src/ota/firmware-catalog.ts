import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import type { Page } from '../platform/model.js';
import { pageBounds } from '../platform/orgs/paging.js';
import type { Caller, PageRequest } from '../platform/services.js';
import { findInfoTag } from './info-tag.js';
import type { Firmware } from './model.js';
import type { OtaDeps } from './types.js';

const MAX_NAME = 255;

export function firmwareNotFound(id: number): NotFoundError {
  return new NotFoundError(`Firmware with identifier ${id} is not found or belongs to another organization.`);
}

/** Runs jobs of one key one after another (bytes and their rows change together). */
function keyedQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, job: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(job, job);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}

export interface FirmwareCatalog {
  upload(caller: Caller, input: { name: string; orgId?: number; bytes: Buffer }): Promise<Firmware>;
  /** Visible to the caller (its org or a descendant), else NotFoundError. */
  get(caller: Caller, id: number): Promise<Firmware>;
  list(caller: Caller, page?: PageRequest): Promise<Page<Firmware>>;
  delete(caller: Caller, id: number): Promise<void>;
}

/** Firmware packages: stored once per content under their SHA-256, described by a row per upload. */
export function firmwareCatalog(deps: OtaDeps): FirmwareCatalog {
  const { store, firmware: blobs, platform, clock } = deps;
  const serialized = keyedQueue();
  const get = async (caller: Caller, id: number): Promise<Firmware> => {
    const firmware = await store.firmware(id);
    if (firmware === undefined || !platform.orgs.isInScope(caller.orgId, firmware.orgId))
      throw firmwareNotFound(id);
    return firmware;
  };
  return {
    async upload(caller, { name, orgId, bytes }) {
      const trimmed = name.trim();
      if (trimmed === '' || trimmed.length > MAX_NAME)
        throw new ValidationError(`Firmware name must be 1 to ${MAX_NAME} characters.`);
      if (bytes.length === 0) throw new ValidationError('Firmware file is empty.');
      const owner = orgId === undefined ? caller.orgId : (await platform.orgs.get(caller, orgId)).id;
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const md5 = createHash('md5').update(bytes).digest('hex');
      const tag = findInfoTag(bytes);
      return serialized(sha256, async () => {
        await blobs.save(sha256, bytes);
        return store.insertFirmware({
          orgId: owner,
          name: trimmed,
          size: bytes.length,
          sha256,
          md5,
          ...(tag?.version === undefined ? {} : { version: tag.version }),
          ...(tag?.fwType === undefined ? {} : { fwType: tag.fwType }),
          ...(tag?.build === undefined ? {} : { build: tag.build }),
          ...(tag?.blynkVersion === undefined ? {} : { blynkVersion: tag.blynkVersion }),
          createdAt: clock.now(),
        });
      });
    },
    get,
    async list(caller, page) {
      const { offset, limit } = pageBounds(page);
      return store.firmwarePage({ orgIds: platform.orgs.subtree(caller.orgId), offset, limit });
    },
    async delete(caller, id) {
      const firmware = await get(caller, id);
      if (await store.hasRunningShipment(id))
        throw new ConflictError('Firmware is used by a running shipment.');
      await serialized(firmware.sha256, async () => {
        const { sameFileRows } = await store.deleteFirmware(id);
        if (sameFileRows === 0) await blobs.remove(firmware.sha256);
      });
    },
  };
}
