import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Device } from '../../platform/model.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { errorResponses, idParam, operationsOf, query } from '../schemas/common.js';
import { deviceCreateBody, tokenSchema } from '../schemas/device.js';
import { type DeviceCreateBody, deviceInput } from './devices.js';

const op = operationsOf('devices');
const byDeviceId = query({ deviceId: idParam }, ['deviceId']);
const created = { 201: { $ref: 'DeviceWithToken#' }, ...errorResponses };
const token = { 200: tokenSchema, ...errorResponses };

type ById = { Querystring: { deviceId: number } };

/** Device tokens are secrets: answers that carry one must not be cached. */
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

function withToken(result: { device: Device; token: string }): Device & { token: string } {
  return { ...result.device, token: result.token };
}

/**
 * The answers that carry a device token: create (spec §6.4, 201), dynamic provisioning (spec
 * §5.9) and the devgate additions reveal and rotate.
 */
export function deviceTokenRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const create = op('Create a device (answer includes its token)', {
    body: deviceCreateBody,
    response: created,
  });
  app.post<{ Body: DeviceCreateBody }>(
    '/api/v1/organization/device/create',
    { schema: create },
    async (request, reply) => {
      const result = await devices.create(callerOf(request), deviceInput(request.body));
      return noStore(reply).code(201).send(withToken(result));
    },
  );
  const provision = op('Dynamic provisioning: a pending device and its token', {
    body: deviceCreateBody,
    response: created,
  });
  app.post<{ Body: DeviceCreateBody }>(
    '/api/v1/organization/device/provisioning-token',
    { schema: provision },
    async (request, reply) => {
      const result = await devices.createProvisioningToken(callerOf(request), deviceInput(request.body));
      return noStore(reply).code(201).send(withToken(result));
    },
  );
  const reveal = op("Reveal a device's token", { querystring: byDeviceId, response: token });
  app.get<ById>('/api/v1/organization/device/token', { schema: reveal }, async (request, reply) =>
    noStore(reply).send({ token: await devices.revealToken(callerOf(request), request.query.deviceId) }),
  );
  const rotate = op('Replace a device token (the old one stops working)', {
    querystring: byDeviceId,
    response: token,
  });
  app.post<ById>('/api/v1/organization/device/token/rotate', { schema: rotate }, async (request, reply) =>
    noStore(reply).send({ token: await devices.rotateToken(callerOf(request), request.query.deviceId) }),
  );
}
