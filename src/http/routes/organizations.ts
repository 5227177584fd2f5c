import type { FastifyInstance } from 'fastify';
import type { OrgInput } from '../../platform/services.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { type PageQuery, pageRequest } from '../params.js';
import {
  bearerSecurity,
  errorResponses,
  idParam,
  noContent,
  pageOf,
  pageParams,
  query,
} from '../schemas/common.js';
import { orgCreateBody, orgUpdateBody } from '../schemas/organization.js';

const tags = ['organizations'];
const one = { 200: { $ref: 'Organization#' }, ...errorResponses };
const page = { 200: pageOf('Organization'), ...errorResponses };
const byOrgId = query({ orgId: idParam }, ['orgId']);

type CreateBody = OrgInput & { parentOrganizationId?: number };
type UpdateBody = Partial<OrgInput> & { isActive?: boolean };

/** Organizations (spec §5.1, §6.4): the caller's org and its descendants. */
export function organizationRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const orgs = platform.orgs;
  const security = bearerSecurity;

  app.post<{ Body: CreateBody }>(
    '/api/v1/organization/create',
    {
      schema: {
        tags,
        security,
        summary: 'Create a sub-organization',
        body: orgCreateBody,
        response: { 201: { $ref: 'Organization#' }, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await orgs.create(callerOf(request), request.body)),
  );

  app.get(
    '/api/v1/organization/profile',
    {
      schema: {
        tags,
        security,
        summary: "The caller's own organization",
        querystring: query({}),
        response: one,
      },
    },
    async (request) => {
      const caller = callerOf(request);
      return orgs.get(caller, caller.orgId);
    },
  );

  app.get<{ Querystring: { orgId: number } }>(
    '/api/v1/organization',
    { schema: { tags, security, summary: 'Get an organization', querystring: byOrgId, response: one } },
    async (request) => orgs.get(callerOf(request), request.query.orgId),
  );

  app.get<{ Querystring: PageQuery }>(
    '/api/v1/organization/list',
    {
      schema: {
        tags,
        security,
        summary: "The caller's organization and its descendants",
        querystring: query(pageParams),
        response: page,
      },
    },
    async (request) => orgs.list(callerOf(request), pageRequest(request.query)),
  );

  app.get<{ Querystring: PageQuery & { query: string } }>(
    '/api/v1/organization/search',
    {
      schema: {
        tags,
        security,
        summary: 'Search organizations by name',
        querystring: query({ query: { type: 'string', maxLength: 100 }, ...pageParams }, ['query']),
        response: page,
      },
    },
    async (request) => orgs.search(callerOf(request), request.query.query, pageRequest(request.query)),
  );

  app.put<{ Querystring: { orgId: number }; Body: UpdateBody }>(
    '/api/v1/organization',
    {
      schema: {
        tags,
        security,
        summary: 'Update an organization',
        querystring: byOrgId,
        body: orgUpdateBody,
        response: one,
      },
    },
    async (request) => orgs.update(callerOf(request), request.query.orgId, request.body),
  );

  app.delete<{ Querystring: { orgId: number } }>(
    '/api/v1/organization',
    {
      schema: {
        tags,
        security,
        summary: 'Delete an empty organization',
        querystring: byOrgId,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await orgs.delete(callerOf(request), request.query.orgId);
      return reply.code(204).send();
    },
  );
}
