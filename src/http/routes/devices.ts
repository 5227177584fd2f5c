import type { FastifyInstance, FastifyReply } from 'fastify';
import { ValidationError } from '../../platform/errors.js';
import type { Device } from '../../platform/model.js';
import type { DeviceInput } from '../../platform/services.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { type PageQuery, pageRequest, templateRef } from '../params.js';
import {
  bearerSecurity,
  errorResponses,
  idParam,
  noContent,
  pageOf,
  pageParams,
  query,
} from '../schemas/common.js';
import { deviceCreateBody, deviceTransferBody, deviceUpdateBody, tokenSchema } from '../schemas/device.js';
import { deviceDetails } from './device-views.js';

const tags = ['devices'];
const security = bearerSecurity;
const byDeviceId = query({ deviceId: idParam }, ['deviceId']);
const one = { 200: { $ref: 'Device#' }, ...errorResponses };
const created = { 201: { $ref: 'DeviceWithToken#' }, ...errorResponses };
const token = { 200: tokenSchema, ...errorResponses };

interface CreateBody {
  templateId: number | string;
  name: string;
  orgId?: number;
  ownerId?: number;
}
type ById = { Querystring: { deviceId: number } };

export function deviceInput(body: CreateBody): DeviceInput {
  return {
    templateId: templateRef(body.templateId),
    name: body.name,
    ...(body.orgId === undefined ? {} : { orgId: body.orgId }),
    ...(body.ownerId === undefined ? {} : { ownerUserId: body.ownerId }),
  };
}

/** Device tokens are secrets: answers that carry one must not be cached. */
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

function withToken(result: { device: Device; token: string }): Device & { token: string } {
  return { ...result.device, token: result.token };
}

/** Device management (spec §5.4, §6.4); ids are query parameters. */
export function deviceRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;

  app.post<{ Body: CreateBody }>(
    '/api/v1/organization/device/create',
    {
      schema: {
        tags,
        security,
        summary: 'Create a device (answer includes its token)',
        body: deviceCreateBody,
        response: created,
      },
    },
    async (request, reply) => {
      const result = await devices.create(callerOf(request), deviceInput(request.body));
      return noStore(reply).code(201).send(withToken(result));
    },
  );

  app.post<{ Body: CreateBody }>(
    '/api/v1/organization/device/provisioning-token',
    {
      schema: {
        tags,
        security,
        summary: 'Dynamic provisioning: a pending device and its token',
        body: deviceCreateBody,
        response: created,
      },
    },
    async (request, reply) => {
      const result = await devices.createProvisioningToken(callerOf(request), deviceInput(request.body));
      return noStore(reply).code(201).send(withToken(result));
    },
  );

  app.get<ById>(
    '/api/v1/organization/device',
    {
      schema: {
        tags,
        security,
        summary: 'A device with its values and metadata',
        querystring: byDeviceId,
        response: { 200: { $ref: 'DeviceDetails#' }, ...errorResponses },
      },
    },
    async (request) => deviceDetails(ctx, await devices.get(callerOf(request), request.query.deviceId)),
  );

  app.get<ById>(
    '/api/v1/organization/device/baseInfo',
    { schema: { tags, security, summary: 'A device, minimal view', querystring: byDeviceId, response: one } },
    async (request) => devices.get(callerOf(request), request.query.deviceId),
  );

  app.put<ById & { Body: { name?: string; ownerId?: number | null } }>(
    '/api/v1/organization/device',
    {
      schema: {
        tags,
        security,
        summary: 'Rename a device or change its owner',
        querystring: byDeviceId,
        body: deviceUpdateBody,
        response: one,
      },
    },
    async (request) => {
      const { name, ownerId } = request.body;
      const patch = {
        ...(name === undefined ? {} : { name }),
        ...(ownerId === undefined ? {} : { ownerUserId: ownerId }),
      };
      return devices.update(callerOf(request), request.query.deviceId, patch);
    },
  );

  app.delete<ById>(
    '/api/v1/organization/device',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a device',
        querystring: byDeviceId,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await devices.delete(callerOf(request), request.query.deviceId);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: PageQuery & { orgId?: number; includeSubOrgDevices?: boolean } }>(
    '/api/v1/organization/devices',
    {
      schema: {
        tags,
        security,
        summary: "Devices of an organization (default: the caller's)",
        querystring: query({ orgId: idParam, includeSubOrgDevices: { type: 'boolean' }, ...pageParams }),
        response: { 200: pageOf('Device'), ...errorResponses },
      },
    },
    async (request) => {
      const { orgId, includeSubOrgDevices } = request.query;
      const filter = {
        ...(orgId === undefined ? {} : { orgId }),
        ...(includeSubOrgDevices === undefined ? {} : { includeSubOrgDevices }),
      };
      return devices.list(callerOf(request), { ...filter, ...pageRequest(request.query) });
    },
  );

  app.get<{ Querystring: PageQuery & { query: string } }>(
    '/api/v1/organization/search/devices',
    {
      schema: {
        tags,
        security,
        summary: 'Search devices by name',
        querystring: query(
          {
            query: { type: 'string', maxLength: 100 },
            sortBy: {
              type: 'string',
              maxLength: 64,
              description: 'accepted for compatibility; results are ordered by id',
            },
            sortOrder: { type: 'string', enum: ['ASC', 'DESC', 'asc', 'desc'] },
            ...pageParams,
          },
          ['query'],
        ),
        response: { 200: pageOf('Device'), ...errorResponses },
      },
    },
    async (request) => devices.search(callerOf(request), request.query.query, pageRequest(request.query)),
  );

  app.post<{ Body: { deviceId: number; newOrgId?: number; newUserId?: number } }>(
    '/api/v1/organization/device/transfer',
    {
      schema: {
        tags,
        security,
        summary: 'Move a device to another organization and/or owner',
        body: deviceTransferBody,
        response: one,
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { deviceId, newOrgId, newUserId } = request.body;
      if (newOrgId === undefined && newUserId === undefined) {
        throw new ValidationError("Either 'newOrgId' or 'newUserId' is required.");
      }
      const moved = newOrgId === undefined ? undefined : await devices.transfer(caller, deviceId, newOrgId);
      if (newUserId === undefined) return moved;
      return devices.update(caller, deviceId, { ownerUserId: newUserId });
    },
  );

  app.get<ById>(
    '/api/v1/organization/device/token',
    {
      schema: {
        tags,
        security,
        summary: "Reveal a device's token",
        querystring: byDeviceId,
        response: token,
      },
    },
    async (request, reply) =>
      noStore(reply).send({ token: await devices.revealToken(callerOf(request), request.query.deviceId) }),
  );

  app.post<ById>(
    '/api/v1/organization/device/token/rotate',
    {
      schema: {
        tags,
        security,
        summary: 'Replace a device token (the old one stops working)',
        querystring: byDeviceId,
        response: token,
      },
    },
    async (request, reply) =>
      noStore(reply).send({ token: await devices.rotateToken(callerOf(request), request.query.deviceId) }),
  );
}
