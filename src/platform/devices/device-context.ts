import { NotFoundError, ValidationError } from '../errors.js';
import type { Device, Template } from '../model.js';
import type { PlatformDeps } from '../platform.js';
import type { Caller, OrgService, TemplateService } from '../services.js';
import type { DeviceFeed } from './device-feed.js';
import { deviceNotFound } from './device-rules.js';
import type { DeviceStores } from './device-stores.js';
import { DeviceWriteOrder } from './device-write-order.js';
import type { TokenCache } from './token-cache.js';

/** What the parts of the device service share. */
export interface DeviceContext {
  readonly deps: PlatformDeps;
  readonly orgs: OrgService;
  readonly templates: TemplateService;
  readonly stores: DeviceStores;
  readonly cache: TokenCache;
  /** Accepted values, connection changes and events are published here (decision 0025). */
  readonly feed: DeviceFeed;
  now(): number;
  /** The device if it exists (internal callers; no scope). */
  existing(deviceId: number): Promise<Device>;
  /** The device if it exists AND is in the caller's scope; the same NotFoundError otherwise. */
  scoped(caller: Caller, deviceId: number): Promise<Device>;
  /** Checks that `orgId` exists and is in the caller's scope (the org service's NotFoundError). */
  targetOrg(caller: Caller, orgId: number): Promise<number>;
  /** The template as seen from `orgId` (inherited templates included). */
  templateFrom(caller: Caller, orgId: number, templateId: number | string): Promise<Template>;
  /** Like templateFrom, for an existing device moving to `orgId`: a hidden template is a ValidationError. */
  templateReachable(caller: Caller, orgId: number, templateId: number): Promise<void>;
  /**
   * Writes device rows: after the earlier writes of the same devices, and the rows the write
   * returns refresh the token cache before the next write of those devices starts.
   */
  writeRows<T extends Device | readonly Device[] | undefined>(
    deviceIds: readonly number[],
    write: () => Promise<T>,
  ): Promise<T>;
}

export function createDeviceContext(
  deps: PlatformDeps,
  orgs: OrgService,
  templates: TemplateService,
  stores: DeviceStores,
  cache: TokenCache,
  feed: DeviceFeed,
): DeviceContext {
  const existing = async (deviceId: number): Promise<Device> => {
    const device = Number.isSafeInteger(deviceId) ? await stores.devices.get(deviceId) : undefined;
    if (device === undefined) throw deviceNotFound(deviceId);
    return device;
  };
  const order = new DeviceWriteOrder();
  const templateFrom = (caller: Caller, orgId: number, templateId: number | string) =>
    templates.get({ orgId, actor: caller.actor }, templateId);
  return {
    deps,
    orgs,
    templates,
    stores,
    cache,
    feed,
    now: () => deps.clock.now(),
    existing,
    async scoped(caller, deviceId) {
      const device = Number.isSafeInteger(deviceId) ? await stores.devices.get(deviceId) : undefined;
      // Missing and out-of-scope are indistinguishable by design (spec §6.4).
      if (device === undefined || !orgs.isInScope(caller.orgId, device.orgId)) throw deviceNotFound(deviceId);
      return device;
    },
    async targetOrg(caller, orgId) {
      await orgs.get(caller, orgId);
      return orgId;
    },
    templateFrom,
    async templateReachable(caller, orgId, templateId) {
      try {
        await templateFrom(caller, orgId, templateId);
      } catch (err) {
        // spec §5.4: the target org must have the device's template.
        if (err instanceof NotFoundError) {
          throw new ValidationError(
            `Organization ${orgId} does not have the device's template ${templateId}.`,
          );
        }
        throw err;
      }
    },
    writeRows(deviceIds, write) {
      return order.run(deviceIds, async () => {
        const written = await write();
        if (Array.isArray(written)) for (const device of written) cache.refresh(device);
        else if (written !== undefined) cache.refresh(written as Device);
        return written;
      });
    },
  };
}
