import type { FastifyInstance } from 'fastify';
import type { Role } from '../platform/model.js';
import { callerOf } from './auth.js';
import { envelope } from './errors.js';

/**
 * What a Platform API route asks of the caller's role (decision 0024):
 * - `read`: any role (Viewer, Staff, Admin);
 * - `operate`: Staff or Admin: devices, values, controls, metadata, events, commands, OTA, static tokens;
 * - `admin`: Admin only: users, OAuth clients, organizations and template changes (and reading
 *   users and OAuth clients).
 */
export type Permission = 'read' | 'operate' | 'admin';

export const ROLE_REFUSED = 'Your role does not allow this.';

const RANK: Readonly<Record<Role, number>> = { viewer: 0, staff: 1, admin: 2 };
const NEEDS: Readonly<Record<Permission, number>> = { read: 0, operate: 1, admin: 2 };

export function allows(role: Role, permission: Permission): boolean {
  return RANK[role] >= NEEDS[permission];
}

const O = '/api/v1/organization';

/**
 * Every Platform API route, `METHOD path` → permission. A route missing here is refused to every
 * caller, and test/http/permissions.test.ts fails: a new route must be classified.
 */
export const ROUTE_PERMISSIONS: Readonly<Record<string, Permission>> = {
  // Organizations: everyone reads the tree they act in; only Admins change it.
  [`GET ${O}`]: 'read',
  [`GET ${O}/profile`]: 'read',
  [`GET ${O}/list`]: 'read',
  [`GET ${O}/search`]: 'read',
  [`POST ${O}/create`]: 'admin',
  [`PUT ${O}`]: 'admin',
  [`DELETE ${O}`]: 'admin',
  // Devices.
  [`GET ${O}/device`]: 'read',
  [`GET ${O}/device/baseInfo`]: 'read',
  [`GET ${O}/devices`]: 'read',
  [`GET ${O}/search/devices`]: 'read',
  [`GET ${O}/device/online`]: 'read',
  [`GET ${O}/device/events`]: 'read',
  [`GET ${O}/device/metafield`]: 'read',
  [`GET ${O}/device/datastreams`]: 'read',
  [`GET ${O}/device/datastreams/batch`]: 'read',
  [`GET ${O}/device/datastream/history`]: 'read',
  'GET /api/v2/organization/device/datastreams': 'read',
  [`POST ${O}/device/create`]: 'operate',
  [`PUT ${O}/device`]: 'operate',
  [`DELETE ${O}/device`]: 'operate',
  [`POST ${O}/device/transfer`]: 'operate',
  [`DELETE ${O}/device/clear`]: 'operate',
  [`POST ${O}/device/provisioning-token`]: 'operate',
  // A device token lets its holder act as the device: not for read-only callers.
  [`GET ${O}/device/token`]: 'operate',
  [`POST ${O}/device/token/rotate`]: 'operate',
  // Values, controls, metadata, events, commands.
  [`POST ${O}/device/datastream`]: 'operate',
  [`POST ${O}/device/datastreams`]: 'operate',
  [`POST ${O}/device/datastream/property`]: 'operate',
  [`POST ${O}/device/import/batch`]: 'operate',
  [`POST ${O}/device/metafield`]: 'operate',
  [`POST ${O}/device/trigger-event`]: 'operate',
  [`POST ${O}/device/ping`]: 'operate',
  [`POST ${O}/device/reboot`]: 'operate',
  [`POST ${O}/device/reconfigure`]: 'operate',
  // Static tokens.
  [`GET ${O}/static-tokens`]: 'read',
  [`POST ${O}/static-tokens/generate`]: 'operate',
  [`POST ${O}/static-tokens/claim`]: 'operate',
  [`DELETE ${O}/static-tokens`]: 'operate',
  // Templates: everyone reads them; only Admins change them.
  [`GET ${O}/template`]: 'read',
  [`GET ${O}/templates`]: 'read',
  [`GET ${O}/template/datastreams`]: 'read',
  [`GET ${O}/template/events`]: 'read',
  [`GET ${O}/template/metafields`]: 'read',
  [`POST ${O}/template/create`]: 'admin',
  [`PUT ${O}/template`]: 'admin',
  [`DELETE ${O}/template`]: 'admin',
  // OAuth clients: Admins only, reads included.
  [`GET ${O}/oauth/client`]: 'admin',
  [`GET ${O}/oauth/clients`]: 'admin',
  [`POST ${O}/oauth/clients/create`]: 'admin',
  [`POST ${O}/oauth/client/disable`]: 'admin',
  [`POST ${O}/oauth/client/enable`]: 'admin',
  [`DELETE ${O}/oauth/client`]: 'admin',
  // Users: Admins only, reads included.
  [`GET ${O}/users`]: 'admin',
  [`POST ${O}/users/create`]: 'admin',
  [`PUT ${O}/user/role`]: 'admin',
  [`PUT ${O}/user/password`]: 'admin',
  [`DELETE ${O}/user`]: 'admin',
  // Blynk.Air.
  [`POST ${O}/ota/firmware`]: 'operate',
  [`GET ${O}/ota/firmware`]: 'read',
  [`GET ${O}/ota/firmwares`]: 'read',
  [`DELETE ${O}/ota/firmware`]: 'operate',
  [`POST ${O}/ota/shipment`]: 'operate',
  [`GET ${O}/ota/shipment`]: 'read',
  [`GET ${O}/ota/shipments`]: 'read',
  [`POST ${O}/ota/shipment/cancel`]: 'operate',
  // The console's live channel and gateway list.
  [`GET ${O}/device/live`]: 'read',
  [`GET ${O}/gateways`]: 'read',
};

export function permissionKey(method: string, url: string): string {
  return `${method} ${url}`;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** `METHOD path` of every route behind the Platform API's credential hook (for the permission test). */
    platformApiRoutes: string[];
  }
}

/**
 * The one role check of the Platform API: after the credential hook on `scope`, every request's
 * route is looked up in {@link ROUTE_PERMISSIONS}; a role below the route's need, or a route not
 * in the table, is refused 403.
 */
export function enforceRoles(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) scope.platformApiRoutes.push(permissionKey(method, route.url));
  });
  // A callback hook, not an async one: no promise per request on the write path.
  scope.addHook('onRequest', (request, reply, done) => {
    const url = request.routeOptions.url;
    const permission = url === undefined ? undefined : ROUTE_PERMISSIONS[permissionKey(request.method, url)];
    if (permission === undefined) {
      request.log.error({ method: request.method, route: url }, 'route has no permission entry: refused');
      reply.code(403).send(envelope(ROLE_REFUSED));
      return; // answered: the chain stops without done()
    }
    if (!allows(callerOf(request).role ?? 'viewer', permission)) {
      reply.code(403).send(envelope(ROLE_REFUSED));
      return;
    }
    done();
  });
}
