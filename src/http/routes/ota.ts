import type { FastifyInstance } from 'fastify';
import type { OtaService } from '../../ota/types.js';
import { PlatformError } from '../../platform/errors.js';
import { callerOf } from '../auth.js';
import { type PageQuery, pageRequest } from '../params.js';
import {
  errorResponses,
  idParam,
  noContent,
  operationsOf,
  pageParams,
  query,
  timestamp,
} from '../schemas/common.js';

const op = operationsOf('ota');
const text = { type: 'string' } as const;
const byId = query({ id: idParam }, ['id']);
type ById = { Querystring: { id: number } };

const firmwareSchema = {
  type: 'object',
  required: ['id', 'orgId', 'name', 'size', 'sha256', 'md5', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    orgId: { type: 'integer' },
    name: text,
    size: { type: 'integer' },
    sha256: { ...text, description: 'hex SHA-256 of the file' },
    md5: { ...text, description: 'hex MD5 of the file' },
    version: { ...text, description: "binary info tag 'mcu'" },
    fwType: { ...text, description: "binary info tag 'fw-type'" },
    build: { ...text, description: "binary info tag 'build'" },
    blynkVersion: { ...text, description: "binary info tag 'blynk'" },
    createdAt: timestamp,
  },
} as const;

const shipmentSchema = {
  type: 'object',
  required: ['id', 'orgId', 'firmwareId', 'name', 'status', 'createdAt', 'devices'],
  properties: {
    id: { type: 'integer' },
    orgId: { type: 'integer' },
    firmwareId: { type: 'integer' },
    name: text,
    status: { type: 'string', enum: ['RUNNING', 'COMPLETED', 'CANCELLED'] },
    createdAt: timestamp,
    devices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['deviceId', 'status', 'updatedAt', 'downloads'],
        properties: {
          deviceId: { type: 'integer' },
          status: { ...text, description: "spec §3.4 status text, e.g. 'request sent', 'success'" },
          updatedAt: timestamp,
          downloads: { type: 'integer' },
        },
      },
    },
  },
} as const;

const pageOfSchema = (item: object) =>
  ({
    type: 'object',
    required: ['content', 'totalElements'],
    properties: { content: { type: 'array', items: item }, totalElements: { type: 'integer' } },
  }) as const;

const shipmentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['firmwareId', 'deviceIds'],
  properties: {
    firmwareId: idParam,
    deviceIds: { type: 'array', minItems: 1, maxItems: 1000, items: idParam },
    name: { type: 'string', minLength: 1, maxLength: 255 },
  },
} as const;

/** Upload (raw body, its own size limit), list, get, delete. */
function firmwareRoutes(app: FastifyInstance, ota: OtaService, maxFirmwareBytes: number): void {
  const url = '/api/v1/organization/ota/firmware';
  // Only this plugin scope takes raw bodies, up to the firmware limit.
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: maxFirmwareBytes },
    (_request, body, done) => done(null, body),
  );
  const upload = op('Upload a firmware package (raw application/octet-stream body)', {
    querystring: query({ name: { type: 'string', minLength: 1, maxLength: 255 }, orgId: idParam }, ['name']),
    response: { 201: firmwareSchema, ...errorResponses },
  });
  app.post<{ Querystring: { name: string; orgId?: number }; Body: unknown }>(
    url,
    { schema: upload, bodyLimit: maxFirmwareBytes },
    async (request, reply) => {
      const body = request.body ?? Buffer.alloc(0);
      // A JSON (or other parsed) body is not a firmware image.
      if (!Buffer.isBuffer(body))
        throw new PlatformError(
          'UNSUPPORTED_MEDIA_TYPE',
          415,
          'Send the firmware as application/octet-stream.',
        );
      const { name, orgId } = request.query;
      const input = { name, bytes: body, ...(orgId === undefined ? {} : { orgId }) };
      return reply.code(201).send(await ota.uploadFirmware(callerOf(request), input));
    },
  );
  const one = { 200: firmwareSchema, ...errorResponses };
  app.get<ById>(
    url,
    { schema: op('A firmware package', { querystring: byId, response: one }) },
    async (request) => ota.getFirmware(callerOf(request), request.query.id),
  );
  const list = op("Firmware packages of the caller's organizations", {
    querystring: query({ ...pageParams }),
    response: { 200: pageOfSchema(firmwareSchema), ...errorResponses },
  });
  app.get<{ Querystring: PageQuery }>(`${url}s`, { schema: list }, async (request) =>
    ota.listFirmware(callerOf(request), pageRequest(request.query)),
  );
  const remove = op('Delete a firmware package (not while a running shipment uses it)', {
    querystring: byId,
    response: { 204: noContent, ...errorResponses },
  });
  app.delete<ById>(url, { schema: remove }, async (request, reply) => {
    await ota.deleteFirmware(callerOf(request), request.query.id);
    return reply.code(204).send();
  });
}

/** Start, read, list and cancel shipments. */
function shipmentRoutes(app: FastifyInstance, ota: OtaService): void {
  const url = '/api/v1/organization/ota/shipment';
  const one = { 200: shipmentSchema, ...errorResponses };
  const create = op('Ship a firmware package to devices', {
    body: shipmentBody,
    response: { 201: shipmentSchema, ...errorResponses },
  });
  app.post<{ Body: { firmwareId: number; deviceIds: number[]; name?: string } }>(
    url,
    { schema: create },
    async (request, reply) => reply.code(201).send(await ota.createShipment(callerOf(request), request.body)),
  );
  app.get<ById>(
    url,
    { schema: op('A shipment with the status of each device', { querystring: byId, response: one }) },
    async (request) => ota.getShipment(callerOf(request), request.query.id),
  );
  const list = op("Shipments of the caller's organizations", {
    querystring: query({ ...pageParams }),
    response: { 200: pageOfSchema(shipmentSchema), ...errorResponses },
  });
  app.get<{ Querystring: PageQuery }>(`${url}s`, { schema: list }, async (request) =>
    ota.listShipments(callerOf(request), pageRequest(request.query)),
  );
  app.post<ById>(
    `${url}/cancel`,
    { schema: op('Cancel a running shipment', { querystring: byId, response: one }) },
    async (request) => ota.cancelShipment(callerOf(request), request.query.id),
  );
}

/** Blynk.Air management (spec §3.4): register inside the bearer-protected scope, in its own plugin. */
export function otaRoutes(
  app: FastifyInstance,
  ota: OtaService,
  options: { maxFirmwareBytes: number },
): void {
  firmwareRoutes(app, ota, options.maxFirmwareBytes);
  shipmentRoutes(app, ota);
}
