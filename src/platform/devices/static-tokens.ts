import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { DeviceStatus } from '../model.js';
import { pageBounds } from '../orgs/paging.js';
import type { DeviceService } from '../services.js';
import type { DeviceContext } from './device-context.js';
import { maxStaticTokensPerCall, staticTokenNotFound, validateDeviceName } from './device-rules.js';
import { generateQrToken, issueDeviceToken } from './device-token.js';
import type { NewStaticToken } from './static-token-store.js';

type StaticTokens = Pick<
  DeviceService,
  'generateStaticTokens' | 'listStaticTokens' | 'claimStaticToken' | 'deleteStaticToken'
>;

/** spec §5.4: names are ≤ 50 characters. */
const maxNameLength = 50;

/**
 * Static tokens (spec §5.9): each is a device created UNCLAIMED in the token's org (it may connect
 * at once) plus a QR token that claims it into another org.
 */
export function staticTokens(ctx: DeviceContext): StaticTokens {
  const { stores } = ctx;
  return {
    async generateStaticTokens(caller, input) {
      const { count } = input;
      if (!Number.isSafeInteger(count) || count < 1 || count > maxStaticTokensPerCall) {
        throw new ValidationError(`count must be an integer from 1 to ${maxStaticTokensPerCall}.`);
      }
      const orgId = await ctx.targetOrg(caller, input.orgId ?? caller.orgId);
      const template = await ctx.templateFrom(caller, orgId, input.templateId);
      const createdAt = ctx.now();
      const tokens: string[] = [];
      const items: NewStaticToken[] = Array.from({ length: count }, () => {
        const { token, tokenHash, tokenCipher } = issueDeviceToken(ctx.deps.tokenKey);
        tokens.push(token);
        const name = template.name.slice(0, maxNameLength);
        const device = {
          name,
          templateId: template.id,
          orgId,
          ownerUserId: null,
          tokenHash,
          tokenCipher,
          createdAt,
        };
        return {
          token: generateQrToken(),
          orgId,
          productId: template.id,
          createdAt,
          device: { ...device, status: DeviceStatus.Unclaimed },
        };
      });
      const created = await stores.staticTokens.createMany(items);
      ctx.deps.logger.info(
        { orgId, templateId: template.id, count, actor: caller.actor },
        'static tokens generated',
      );
      return created.map((row, i) => ({ staticToken: row.staticToken, deviceToken: tokens[i] ?? '' }));
    },

    async listStaticTokens(caller, query) {
      const window = pageBounds(query);
      const orgId = await ctx.targetOrg(caller, query.orgId ?? caller.orgId);
      return stores.staticTokens.list({ orgIds: [orgId], ...window });
    },

    async claimStaticToken(caller, qrToken, input = {}) {
      // The QR token is the claim secret: it is not echoed in errors or logs.
      const staticToken =
        typeof qrToken === 'string' ? await stores.staticTokens.byToken(qrToken) : undefined;
      if (staticToken === undefined) throw new NotFoundError('Static token is not found.');
      if (staticToken.status === 'CLAIMED') throw new ConflictError('Static token is already claimed.');
      const name = input.name === undefined ? undefined : validateDeviceName(input.name);
      const orgId = await ctx.targetOrg(caller, input.orgId ?? caller.orgId);
      await ctx.templateReachable(caller, orgId, staticToken.productId);
      const claim = {
        orgId,
        ownerId: input.ownerUserId ?? null,
        ...(name === undefined ? {} : { name }),
        at: ctx.now(),
      };
      const claimed = await ctx.writeRows([staticToken.deviceId], async () => {
        const done = await stores.staticTokens.claim(staticToken.id, claim);
        return done?.device;
      });
      // A concurrent claim won the race.
      if (claimed === undefined) throw new ConflictError('Static token is already claimed.');
      ctx.deps.logger.info(
        { staticTokenId: staticToken.id, deviceId: claimed.id, orgId, actor: caller.actor },
        'static token claimed',
      );
      return claimed;
    },

    async deleteStaticToken(caller, id) {
      const staticToken = Number.isSafeInteger(id) ? await stores.staticTokens.get(id) : undefined;
      if (staticToken === undefined || !ctx.orgs.isInScope(caller.orgId, staticToken.orgId)) {
        throw staticTokenNotFound(id);
      }
      // spec §5.9: the device token stops working; the device (claimed or not) is deleted.
      await stores.staticTokens.delete(id);
      ctx.cache.invalidate(staticToken.deviceId);
      ctx.deps.logger.info(
        { staticTokenId: id, deviceId: staticToken.deviceId, actor: caller.actor },
        'static token deleted',
      );
    },
  };
}
