import type { FastifyInstance } from 'fastify';
import type { OrgInput } from '../../platform/services.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { type PageQuery, pageRequest } from '../params.js';
import {
  errorResponses,
  idParam,
  noContent,
  operationsOf,
  pageOf,
  pageParams,
  query,
} from '../schemas/common.js';
import { orgCreateBody, orgUpdateBody } from '../schemas/organization.js';

const op = operationsOf('organizations');
const one = { 200: { $ref: 'Organization#' }, ...errorResponses };
const page = { 200: pageOf('Organization'), ...errorResponses };
const byOrgId = query({ orgId: idParam }, ['orgId']);
const searchQuery = query({ query: { type: 'string', maxLength: 100 }, ...pageParams }, ['query']);

type ByOrgId = { Querystring: { orgId: number } };
type CreateBody = OrgInput & { parentOrganizationId?: number };
type UpdateBody = Partial<OrgInput> & { isActive?: boolean };

/** Reads: own profile, one org, the subtree, search. */
function readRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const orgs = platform.orgs;
  const profile = op("The caller's own organization", { querystring: query({}), response: one });
  app.get('/api/v1/organization/profile', { schema: profile }, async (request) => {
    const caller = callerOf(request);
    return orgs.get(caller, caller.orgId);
  });
  app.get<ByOrgId>(
    '/api/v1/organization',
    { schema: op('Get an organization', { querystring: byOrgId, response: one }) },
    async (request) => orgs.get(callerOf(request), request.query.orgId),
  );
  const list = op("The caller's organization and its descendants", {
    querystring: query(pageParams),
    response: page,
  });
  app.get<{ Querystring: PageQuery }>('/api/v1/organization/list', { schema: list }, async (request) =>
    orgs.list(callerOf(request), pageRequest(request.query)),
  );
  const search = op('Search organizations by name', { querystring: searchQuery, response: page });
  app.get<{ Querystring: PageQuery & { query: string } }>(
    '/api/v1/organization/search',
    { schema: search },
    async (request) => orgs.search(callerOf(request), request.query.query, pageRequest(request.query)),
  );
}

/** Changes: create (201), update, delete (204). */
function writeRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const orgs = platform.orgs;
  const create = op('Create a sub-organization', {
    body: orgCreateBody,
    response: { 201: { $ref: 'Organization#' }, ...errorResponses },
  });
  app.post<{ Body: CreateBody }>('/api/v1/organization/create', { schema: create }, async (request, reply) =>
    reply.code(201).send(await orgs.create(callerOf(request), request.body)),
  );
  const update = op('Update an organization', { querystring: byOrgId, body: orgUpdateBody, response: one });
  app.put<ByOrgId & { Body: UpdateBody }>('/api/v1/organization', { schema: update }, async (request) =>
    orgs.update(callerOf(request), request.query.orgId, request.body),
  );
  const remove = op('Delete an empty organization', {
    querystring: byOrgId,
    response: { 204: noContent, ...errorResponses },
  });
  app.delete<ByOrgId>('/api/v1/organization', { schema: remove }, async (request, reply) => {
    await orgs.delete(callerOf(request), request.query.orgId);
    return reply.code(204).send();
  });
}

/** Organizations (spec §5.1, §6.4): the caller's org and its descendants. */
export function organizationRoutes(app: FastifyInstance, ctx: RouteContext): void {
  readRoutes(app, ctx);
  writeRoutes(app, ctx);
}
