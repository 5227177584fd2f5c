import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../platform/errors.js';
import type { Device, Page } from '../../platform/model.js';
import type { DeviceInput } from '../../platform/services.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { type PageQuery, pageRequest, templateRef } from '../params.js';
import {
  errorResponses,
  idParam,
  noContent,
  operationsOf,
  pageOf,
  pageParams,
  query,
} from '../schemas/common.js';
import { deviceTransferBody, deviceUpdateBody } from '../schemas/device.js';
import { deviceDetails, presenceOf } from './device-views.js';

const op = operationsOf('devices');
const byDeviceId = query({ deviceId: idParam }, ['deviceId']);
const one = { 200: { $ref: 'Device#' }, ...errorResponses };
const page = { 200: pageOf('ListedDevice'), ...errorResponses };

export interface DeviceCreateBody {
  templateId: number | string;
  name: string;
  orgId?: number;
  ownerId?: number;
}
type ById = { Querystring: { deviceId: number } };
type ListQuery = PageQuery & { orgId?: number; includeSubOrgDevices?: boolean };

/** The create body (spec §6.4 field names) as the service's input. */
export function deviceInput(body: DeviceCreateBody): DeviceInput {
  return {
    templateId: templateRef(body.templateId),
    name: body.name,
    ...(body.orgId === undefined ? {} : { orgId: body.orgId }),
    ...(body.ownerId === undefined ? {} : { ownerUserId: body.ownerId }),
  };
}

const searchQuery = query(
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
);
const listQuery = query({ orgId: idParam, includeSubOrgDevices: { type: 'boolean' }, ...pageParams });

/** One device by id: full and minimal view, rename, delete (spec §6.4). */
function singleDeviceRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const url = '/api/v1/organization/device';
  const full = { 200: { $ref: 'DeviceDetails#' }, ...errorResponses };
  app.get<ById>(
    url,
    { schema: op('A device with its values and metadata', { querystring: byDeviceId, response: full }) },
    async (request) => deviceDetails(ctx, await devices.get(callerOf(request), request.query.deviceId)),
  );
  app.get<ById>(
    `${url}/baseInfo`,
    { schema: op('A device, minimal view', { querystring: byDeviceId, response: one }) },
    async (request) => devices.get(callerOf(request), request.query.deviceId),
  );
  const update = op('Rename a device or change its owner', {
    querystring: byDeviceId,
    body: deviceUpdateBody,
    response: one,
  });
  app.put<ById & { Body: { name?: string; ownerId?: number | null } }>(
    url,
    { schema: update },
    async (request) => {
      const { name, ownerId } = request.body;
      const patch = {
        ...(name === undefined ? {} : { name }),
        ...(ownerId === undefined ? {} : { ownerUserId: ownerId }),
      };
      return devices.update(callerOf(request), request.query.deviceId, patch);
    },
  );
  const remove = op('Delete a device', {
    querystring: byDeviceId,
    response: { 204: noContent, ...errorResponses },
  });
  app.delete<ById>(url, { schema: remove }, async (request, reply) => {
    await devices.delete(callerOf(request), request.query.deviceId);
    return reply.code(204).send();
  });
}

/** Lists and search (spec §6.4 page shape). */
function deviceListRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const list = op("Devices of an organization (default: the caller's)", {
    querystring: listQuery,
    response: page,
  });
  app.get<{ Querystring: ListQuery }>('/api/v1/organization/devices', { schema: list }, async (request) => {
    const { orgId, includeSubOrgDevices } = request.query;
    const filter = {
      ...(orgId === undefined ? {} : { orgId }),
      ...(includeSubOrgDevices === undefined ? {} : { includeSubOrgDevices }),
    };
    return listed(ctx, await devices.list(callerOf(request), { ...filter, ...pageRequest(request.query) }));
  });
  const search = op('Search devices by name', { querystring: searchQuery, response: page });
  app.get<{ Querystring: PageQuery & { query: string } }>(
    '/api/v1/organization/search/devices',
    { schema: search },
    async (request) =>
      listed(ctx, await devices.search(callerOf(request), request.query.query, pageRequest(request.query))),
  );
}

/** A page of devices with each one's presence (the console's list shows who is online). */
function listed(ctx: RouteContext, page: Page<Device>) {
  return { ...page, content: page.content.map((device) => ({ ...device, ...presenceOf(ctx, device) })) };
}

/** `POST …/device/transfer` `{deviceId, newOrgId | newUserId}` (spec §6.4). */
function transferRoute(app: FastifyInstance, ctx: RouteContext): void {
  const devices = ctx.platform.devices;
  const schema = op('Move a device to another organization and/or owner', {
    body: deviceTransferBody,
    response: one,
  });
  app.post<{ Body: { deviceId: number; newOrgId?: number; newUserId?: number } }>(
    '/api/v1/organization/device/transfer',
    { schema },
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
}

/** Device management (spec §5.4, §6.4); ids are query parameters. */
export function deviceRoutes(app: FastifyInstance, ctx: RouteContext): void {
  singleDeviceRoutes(app, ctx);
  deviceListRoutes(app, ctx);
  transferRoute(app, ctx);
}
