import { DeviceStatus } from '../model.js';
import type { DeviceService } from '../services.js';
import type { DeviceContext } from './device-context.js';
import { createDevice } from './device-crud.js';
import { deviceNotFound, found } from './device-rules.js';
import type { ConnectionRecord } from './device-store.js';
import { hashDeviceToken, isDeviceTokenShaped, issueDeviceToken, openDeviceToken } from './device-token.js';

type DeviceCredentials = Pick<
  DeviceService,
  | 'revealToken'
  | 'rotateToken'
  | 'authenticateToken'
  | 'currentToken'
  | 'peekToken'
  | 'byId'
  | 'peekById'
  | 'changes'
  | 'createProvisioningToken'
  | 'activate'
  | 'setHardwareInfo'
  | 'recordConnection'
  | 'recordConnections'
>;

/**
 * Tokens, provisioning and connection bookkeeping (spec §2.1, §5.9, §9 "Tokens and secrets").
 * Tokens are never logged: log lines carry the device id only.
 */
export function deviceCredentials(ctx: DeviceContext): DeviceCredentials {
  const { stores, cache } = ctx;
  return {
    async revealToken(caller, deviceId) {
      await ctx.scoped(caller, deviceId);
      const secret = found(await stores.devices.tokenSecret(deviceId), deviceId);
      ctx.deps.logger.info({ deviceId, actor: caller.actor }, 'device token revealed');
      return openDeviceToken(ctx.deps.tokenKey, secret.tokenCipher, secret.tokenHash);
    },

    async rotateToken(caller, deviceId) {
      await ctx.scoped(caller, deviceId);
      const { token, tokenHash, tokenCipher } = issueDeviceToken(ctx.deps.tokenKey);
      const stored = await stores.devices.setToken(deviceId, tokenHash, tokenCipher, ctx.now());
      if (!stored) throw deviceNotFound(deviceId);
      // The old token stops working at once: drop its cached entry.
      cache.invalidate(deviceId);
      ctx.deps.logger.info({ deviceId, actor: caller.actor }, 'device token rotated');
      return token;
    },

    async authenticateToken(token) {
      // Reject malformed input before hashing or touching the store.
      if (typeof token !== 'string' || !isDeviceTokenShaped(token)) return undefined;
      const tokenHash = hashDeviceToken(token);
      const cached = cache.get(tokenHash);
      if (cached !== undefined) return cached;
      const generation = cache.generation;
      const device = await stores.devices.byTokenHash(tokenHash);
      if (device !== undefined) cache.set(tokenHash, device, generation);
      return device;
    },

    async currentToken(deviceId, tokenHash) {
      const secret = await stores.devices.tokenSecret(deviceId);
      if (secret === undefined || secret.tokenHash !== tokenHash) return undefined;
      return openDeviceToken(ctx.deps.tokenKey, secret.tokenCipher, secret.tokenHash);
    },

    peekToken(token) {
      if (typeof token !== 'string' || !isDeviceTokenShaped(token)) return undefined;
      return cache.get(hashDeviceToken(token));
    },

    // The cache is exact: every device change refreshes or drops its entry (device-context `changed`).
    byId: async (deviceId) => cache.byId(deviceId) ?? stores.devices.get(deviceId),

    peekById: (deviceId) => cache.byId(deviceId),

    changes: () => cache.generation,

    createProvisioningToken: (caller, input) => createDevice(ctx, caller, input, DeviceStatus.Pending),

    async activate(deviceId, hardwareInfo) {
      const device = await ctx.existing(deviceId);
      if (device.status !== DeviceStatus.Pending) return device;
      const patch = { status: DeviceStatus.Activated, activatedAt: ctx.now(), hardwareInfo };
      const activated = await ctx.writeRows([deviceId], () =>
        stores.devices.update(deviceId, patch, ctx.now()),
      );
      ctx.deps.logger.info({ deviceId }, 'device activated');
      return found(activated, deviceId);
    },

    async setHardwareInfo(deviceId, hardwareInfo) {
      const written = await ctx.writeRows([deviceId], () =>
        stores.devices.update(deviceId, { hardwareInfo }, ctx.now()),
      );
      found(written, deviceId);
    },

    async recordConnection(deviceId, event) {
      const record = event.connected
        ? { deviceId, connectedAt: event.at, ...(event.ip === undefined ? {} : { ip: event.ip }) }
        : { deviceId, disconnectedAt: event.at };
      if (!(await recordConnections(ctx, [record])).has(deviceId)) throw deviceNotFound(deviceId);
    },

    async recordConnections(records) {
      await recordConnections(ctx, records);
    },
  };
}

/**
 * Stores connection records, keeps the token cache in step and tells the device feed where each
 * device stands now; returns the ids of the devices that exist.
 */
async function recordConnections(
  ctx: DeviceContext,
  records: readonly ConnectionRecord[],
): Promise<Set<number>> {
  const written = ctx.writeRows(
    records.map((r) => r.deviceId),
    () => ctx.stores.devices.recordConnections(records),
  );
  const stored = new Set((await written).map((device) => device.id));
  for (const { deviceId, connectedAt, disconnectedAt } of records) {
    if (!stored.has(deviceId)) continue;
    // Merged records: the later of the two is where the device stands now.
    const offline =
      disconnectedAt !== undefined && (connectedAt === undefined || disconnectedAt >= connectedAt);
    ctx.feed.presence(deviceId, !offline, (offline ? disconnectedAt : connectedAt) as number);
  }
  return stored;
}
