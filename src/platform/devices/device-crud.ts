import { type Device, DeviceStatus } from '../model.js';
import { pageBounds } from '../orgs/paging.js';
import type { Caller, DeviceInput, DeviceService } from '../services.js';
import type { DeviceContext } from './device-context.js';
import { deviceNotFound, found, validateDeviceName } from './device-rules.js';
import { issueDeviceToken } from './device-token.js';

type DeviceCrud = Pick<
  DeviceService,
  'create' | 'get' | 'list' | 'search' | 'update' | 'delete' | 'transfer'
>;

/** Creates a device with a fresh token in `status` (CREATED, or PENDING for dynamic provisioning). */
export async function createDevice(
  ctx: DeviceContext,
  caller: Caller,
  input: DeviceInput,
  status: DeviceStatus,
): Promise<{ device: Device; token: string }> {
  const name = validateDeviceName(input.name);
  const orgId = await ctx.targetOrg(caller, input.orgId ?? caller.orgId);
  const template = await ctx.templateFrom(caller, orgId, input.templateId);
  const { token, tokenHash, tokenCipher } = issueDeviceToken(ctx.deps.tokenKey);
  const device = await ctx.stores.devices.insert({
    name,
    templateId: template.id,
    orgId,
    ownerUserId: input.ownerUserId ?? null,
    status,
    tokenHash,
    tokenCipher,
    createdAt: ctx.now(),
  });
  ctx.deps.logger.info({ deviceId: device.id, orgId, actor: caller.actor, status }, 'device created');
  return { device, token };
}

/** Device CRUD and transfer (spec §5.4, §6.4); every call is scoped to the caller's subtree. */
export function deviceCrud(ctx: DeviceContext): DeviceCrud {
  const { stores } = ctx;
  return {
    create: (caller, input) => createDevice(ctx, caller, input, DeviceStatus.Created),

    get: (caller, deviceId) => ctx.scoped(caller, deviceId),

    async list(caller, query) {
      const window = pageBounds(query);
      const orgId = await ctx.targetOrg(caller, query.orgId ?? caller.orgId);
      const orgIds = query.includeSubOrgDevices === true ? ctx.orgs.subtree(orgId) : [orgId];
      return stores.devices.list({ orgIds, ...window });
    },

    async search(caller, text, page) {
      const window = pageBounds(page);
      // An empty query matches every device in scope (as the org search does).
      const needle = String(text ?? '').trim();
      return stores.devices.list({
        orgIds: ctx.orgs.subtree(caller.orgId),
        ...(needle === '' ? {} : { nameContains: needle }),
        ...window,
      });
    },

    async update(caller, deviceId, patch) {
      await ctx.scoped(caller, deviceId);
      const name = patch.name === undefined ? undefined : validateDeviceName(patch.name);
      const fields = {
        ...(name === undefined ? {} : { name }),
        ...(patch.ownerUserId === undefined ? {} : { ownerUserId: patch.ownerUserId }),
      };
      const updated = await ctx.writeRows([deviceId], () =>
        stores.devices.update(deviceId, fields, ctx.now()),
      );
      return found(updated, deviceId);
    },

    async delete(caller, deviceId) {
      await ctx.scoped(caller, deviceId);
      const staticToken = await stores.staticTokens.byDeviceId(deviceId);
      if (staticToken?.status === 'CLAIMED') {
        // spec §5.9: the owner deleting a claimed device returns it to the token's org, unclaimed,
        // with the owner's data erased; the firmware's token keeps working.
        // Refresh the cached row first: the old owner's connections must lose it before the clears.
        await ctx.writeRows([deviceId], async () => {
          await stores.staticTokens.unclaim(staticToken.id, ctx.now());
          return stores.devices.get(deviceId);
        });
        await Promise.all([
          stores.values.clear(deviceId),
          stores.attributes.clear(deviceId),
          stores.events.clear(deviceId),
        ]);
      } else {
        // An unclaimed static-token device goes with its token (the token row cascades).
        if (!(await stores.devices.delete(deviceId))) throw deviceNotFound(deviceId);
        ctx.cache.invalidate(deviceId);
      }
      ctx.deps.logger.info({ deviceId, actor: caller.actor }, 'device deleted');
    },

    async transfer(caller, deviceId, newOrgId) {
      const device = await ctx.scoped(caller, deviceId);
      await ctx.targetOrg(caller, newOrgId);
      await ctx.templateReachable(caller, newOrgId, device.templateId);
      const moved = await ctx.writeRows([deviceId], () =>
        stores.devices.update(deviceId, { orgId: newOrgId }, ctx.now()),
      );
      ctx.deps.logger.info(
        { deviceId, from: device.orgId, to: newOrgId, actor: caller.actor },
        'device transferred',
      );
      return found(moved, deviceId);
    },
  };
}
