import { createHmac } from 'node:crypto';

/**
 * Files devices upload through `POST /external/api/upload` (spec §6.2 row 14), kept per device.
 * The stored name is a keyed hash of the device and the name it gave (plus that name's
 * extension): the same name overwrites the same file and keeps its URL, and no URL can be guessed
 * from a device id and a file name. Past `maxFiles` files of a device, the oldest saved goes.
 * Implementations: files under the data directory (device-api/upload-store.ts) and PostgreSQL rows
 * (platform/postgres/pg-upload-store.ts).
 */
export interface UploadStore {
  /** Files kept per device (spec: 10); 0 = uploads off. */
  readonly maxFiles: number;
  /** Stores `data` as the device's file `name` and answers the stored name (the URL's last part). */
  save(deviceId: number, name: string, data: Buffer): Promise<string>;
  /** The stored file's bytes, or undefined (unknown device, name or file). */
  read(deviceId: number, storedName: string): Promise<Buffer | undefined>;
}

export interface UploadStoreOptions {
  /** Secret the stored names are derived from (e.g. an HMAC of the server's token key). */
  readonly key: Buffer;
  /** Files kept per device (spec: 10); 0 = uploads off. */
  readonly maxFiles: number;
}

/** A stored name as the URL carries it: 32 URL-safe characters and an optional short extension. */
const STORED_NAME = /^[A-Za-z0-9_-]{32}(\.[a-z0-9]{1,10})?$/;

/** True when `name` has the form of a stored name (anything else names no file). */
export function isStoredName(name: string): boolean {
  return STORED_NAME.test(name);
}

/** True when `deviceId` and `name` could name a stored file (checked before any lookup). */
export function isUploadKey(deviceId: number, name: string): boolean {
  return Number.isSafeInteger(deviceId) && deviceId >= 1 && isStoredName(name);
}

/** The extension kept from a given name: letters and digits only, lower case, up to 10. */
function extensionOf(name: string): string {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(name);
  return match === null ? '' : `.${(match[1] as string).toLowerCase()}`;
}

/** A keyed hash of the device and the given name, plus that name's extension. */
export function storedUploadName(key: Buffer, deviceId: number, name: string): string {
  const hash = createHmac('sha256', key).update(`${deviceId}\0${name}`).digest('base64url');
  return `${hash.slice(0, 32)}${extensionOf(name)}`;
}

/**
 * Runs the jobs of one key one after another (a device's saves must not interleave); the entry
 * of a key goes once its chain has run out, so the map stays as small as the keys in flight.
 */
export function serialPerKey<K>(): <T>(key: K, job: () => Promise<T>) => Promise<T> {
  const chains = new Map<K, Promise<unknown>>();
  return <T>(key: K, job: () => Promise<T>): Promise<T> => {
    const next = (chains.get(key) ?? Promise.resolve()).then(job, job);
    chains.set(key, next);
    const forget = (): void => {
      if (chains.get(key) === next) chains.delete(key);
    };
    next.then(forget, forget);
    return next;
  };
}
