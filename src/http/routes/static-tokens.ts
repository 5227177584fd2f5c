import type { FastifyInstance } from 'fastify';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { type PageQuery, pageRequest, templateRef } from '../params.js';
import { staticTokenClaimBody, staticTokenGenerateBody } from '../schemas/access.js';
import {
  bearerSecurity,
  errorResponses,
  idParam,
  noContent,
  pageOf,
  pageParams,
  query,
} from '../schemas/common.js';

const tags = ['static tokens'];
const security = bearerSecurity;

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

/** Static tokens (spec §5.9); the paths beyond the list are ours (spec §8 #25). */
export function staticTokenRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const devices = platform.devices;

  app.get<{ Querystring: PageQuery & { orgId?: number } }>(
    '/api/v1/organization/static-tokens',
    {
      schema: {
        tags,
        security,
        summary: "Static tokens of an organization (default: the caller's)",
        querystring: query({ orgId: idParam, ...pageParams }),
        response: { 200: pageOf('StaticToken'), ...errorResponses },
      },
    },
    async (request) => {
      const { orgId } = request.query;
      return devices.listStaticTokens(callerOf(request), {
        ...(orgId === undefined ? {} : { orgId }),
        ...pageRequest(request.query),
      });
    },
  );

  app.post<{ Body: GenerateBody }>(
    '/api/v1/organization/static-tokens/generate',
    {
      schema: {
        tags,
        security,
        summary: 'Generate unclaimed devices with QR tokens',
        body: staticTokenGenerateBody,
        response: { 201: { type: 'array', items: { $ref: 'GeneratedStaticToken#' } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { templateId, orgId, count } = request.body;
      const input = { templateId: templateRef(templateId), count, ...(orgId === undefined ? {} : { orgId }) };
      const generated = await devices.generateStaticTokens(callerOf(request), input);
      const body = generated.map(({ staticToken, deviceToken }) => ({ ...staticToken, deviceToken }));
      return reply.code(201).header('cache-control', 'no-store').send(body);
    },
  );

  app.post<{ Body: ClaimBody }>(
    '/api/v1/organization/static-tokens/claim',
    {
      schema: {
        tags,
        security,
        summary: 'Claim a device by its QR token',
        body: staticTokenClaimBody,
        response: { 200: { $ref: 'Device#' }, ...errorResponses },
      },
    },
    async (request) => {
      const { token, orgId, name, ownerId } = request.body;
      const input = {
        ...(orgId === undefined ? {} : { orgId }),
        ...(name === undefined ? {} : { name }),
        ...(ownerId === undefined ? {} : { ownerUserId: ownerId }),
      };
      return devices.claimStaticToken(callerOf(request), token, input);
    },
  );

  app.delete<{ Querystring: { id: number } }>(
    '/api/v1/organization/static-tokens',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a static token (its device token stops working)',
        querystring: query({ id: idParam }, ['id']),
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await devices.deleteStaticToken(callerOf(request), request.query.id);
      return reply.code(204).send();
    },
  );
}
