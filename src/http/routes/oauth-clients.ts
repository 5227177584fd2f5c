import type { FastifyInstance } from 'fastify';
import type { OAuthClientInput } from '../../platform/services.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { type PageQuery, pageRequest } from '../params.js';
import { oauthClientCreateBody } from '../schemas/access.js';
import {
  errorResponses,
  idParam,
  noContent,
  operationsOf,
  pageOf,
  pageParams,
  query,
} from '../schemas/common.js';

const op = operationsOf('oauth clients');
const byId = query({ id: { ...idParam, description: 'numeric OAuth client id' } }, ['id']);
const one = { 200: { $ref: 'OAuthClient#' }, ...errorResponses };
const base = '/api/v1/organization/oauth';

type ById = { Querystring: { id: number } };

/** Create (the only answer carrying the secret), list, get. */
function readAndCreateRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const oauth = platform.oauth;
  const create = op('Create an OAuth client (the only answer carrying its secret)', {
    body: oauthClientCreateBody,
    response: { 201: { $ref: 'OAuthClientWithSecret#' }, ...errorResponses },
  });
  app.post<{ Body: OAuthClientInput }>(
    `${base}/clients/create`,
    { schema: create },
    async (request, reply) => {
      const { client, secret } = await oauth.createClient(callerOf(request), request.body);
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...client, secret });
    },
  );
  const list = op('OAuth clients in scope', {
    querystring: query(pageParams),
    response: { 200: pageOf('OAuthClient'), ...errorResponses },
  });
  app.get<{ Querystring: PageQuery }>(`${base}/clients`, { schema: list }, async (request) =>
    oauth.listClients(callerOf(request), pageRequest(request.query)),
  );
  app.get<ById>(
    `${base}/client`,
    { schema: op('Get an OAuth client', { querystring: byId, response: one }) },
    async (request) => oauth.getClient(callerOf(request), request.query.id),
  );
}

/** Disable (its tokens stop working), enable, delete. */
function lifecycleRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const oauth = platform.oauth;
  const disable = op('Disable a client: its tokens stop working', { querystring: byId, response: one });
  app.post<ById>(`${base}/client/disable`, { schema: disable }, async (request) =>
    oauth.setClientActive(callerOf(request), request.query.id, false),
  );
  app.post<ById>(
    `${base}/client/enable`,
    { schema: op('Enable a disabled client', { querystring: byId, response: one }) },
    async (request) => oauth.setClientActive(callerOf(request), request.query.id, true),
  );
  const remove = op('Delete an OAuth client', {
    querystring: byId,
    response: { 204: noContent, ...errorResponses },
  });
  app.delete<ById>(`${base}/client`, { schema: remove }, async (request, reply) => {
    await oauth.deleteClient(callerOf(request), request.query.id);
    return reply.code(204).send();
  });
}

/** OAuth clients of the caller's subtree (spec §5.8). */
export function oauthClientRoutes(app: FastifyInstance, ctx: RouteContext): void {
  readAndCreateRoutes(app, ctx);
  lifecycleRoutes(app, ctx);
}
