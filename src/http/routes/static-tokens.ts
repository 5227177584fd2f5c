import type { FastifyInstance } from 'fastify';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { type PageQuery, pageRequest, templateRef } from '../params.js';
import { staticTokenClaimBody, staticTokenGenerateBody } from '../schemas/access.js';
import {
  errorResponses,
  idParam,
  noContent,
  operationsOf,
  pageOf,
  pageParams,
  query,
} from '../schemas/common.js';

const op = operationsOf('static tokens');
const url = '/api/v1/organization/static-tokens';

interface GenerateBody {
  templateId: number | string;
  orgId?: number;
  count: number;
}
interface ClaimBody {
  token: string;
  orgId?: number;
  name?: string;
  ownerId?: number;
}

/** List (spec §6.4) and delete. */
function listAndDeleteRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const devices = platform.devices;
  const list = op("Static tokens of an organization (default: the caller's)", {
    querystring: query({ orgId: idParam, ...pageParams }),
    response: { 200: pageOf('StaticToken'), ...errorResponses },
  });
  app.get<{ Querystring: PageQuery & { orgId?: number } }>(url, { schema: list }, async (request) => {
    const { orgId } = request.query;
    return devices.listStaticTokens(callerOf(request), {
      ...(orgId === undefined ? {} : { orgId }),
      ...pageRequest(request.query),
    });
  });
  const remove = op('Delete a static token (its device token stops working)', {
    querystring: query({ id: idParam }, ['id']),
    response: { 204: noContent, ...errorResponses },
  });
  app.delete<{ Querystring: { id: number } }>(url, { schema: remove }, async (request, reply) => {
    await devices.deleteStaticToken(callerOf(request), request.query.id);
    return reply.code(204).send();
  });
}

/** Generate (201, with the device tokens) and claim by QR token. */
function generateAndClaimRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const devices = platform.devices;
  const generate = op('Generate unclaimed devices with QR tokens', {
    body: staticTokenGenerateBody,
    response: { 201: { type: 'array', items: { $ref: 'GeneratedStaticToken#' } }, ...errorResponses },
  });
  app.post<{ Body: GenerateBody }>(`${url}/generate`, { schema: generate }, async (request, reply) => {
    const { templateId, orgId, count } = request.body;
    const input = { templateId: templateRef(templateId), count, ...(orgId === undefined ? {} : { orgId }) };
    const generated = await devices.generateStaticTokens(callerOf(request), input);
    const body = generated.map(({ staticToken, deviceToken }) => ({ ...staticToken, deviceToken }));
    return reply.code(201).header('cache-control', 'no-store').send(body);
  });
  const claim = op('Claim a device by its QR token', {
    body: staticTokenClaimBody,
    response: { 200: { $ref: 'Device#' }, ...errorResponses },
  });
  app.post<{ Body: ClaimBody }>(`${url}/claim`, { schema: claim }, async (request) => {
    const { token, orgId, name, ownerId } = request.body;
    const input = {
      ...(orgId === undefined ? {} : { orgId }),
      ...(name === undefined ? {} : { name }),
      ...(ownerId === undefined ? {} : { ownerUserId: ownerId }),
    };
    return devices.claimStaticToken(callerOf(request), token, input);
  });
}

/** Static tokens (spec §5.9); the paths beyond the list are ours (spec §8 #25). */
export function staticTokenRoutes(app: FastifyInstance, ctx: RouteContext): void {
  listAndDeleteRoutes(app, ctx);
  generateAndClaimRoutes(app, ctx);
}
