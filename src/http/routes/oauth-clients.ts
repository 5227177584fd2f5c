import type { FastifyInstance } from 'fastify';
import type { OAuthClientInput } from '../../platform/services.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { type PageQuery, pageRequest } from '../params.js';
import { oauthClientCreateBody } from '../schemas/access.js';
import {
  bearerSecurity,
  errorResponses,
  idParam,
  noContent,
  pageOf,
  pageParams,
  query,
} from '../schemas/common.js';

const tags = ['oauth clients'];
const security = bearerSecurity;
const byId = query({ id: { ...idParam, description: 'numeric OAuth client id' } }, ['id']);
const one = { 200: { $ref: 'OAuthClient#' }, ...errorResponses };

type ById = { Querystring: { id: number } };

/** OAuth clients of the caller's subtree (spec §5.8); the secret is shown once, at creation. */
export function oauthClientRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const oauth = platform.oauth;

  app.post<{ Body: OAuthClientInput }>(
    '/api/v1/organization/oauth/clients/create',
    {
      schema: {
        tags,
        security,
        summary: 'Create an OAuth client (the only answer carrying its secret)',
        body: oauthClientCreateBody,
        response: { 201: { $ref: 'OAuthClientWithSecret#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { client, secret } = await oauth.createClient(callerOf(request), request.body);
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...client, secret });
    },
  );

  app.get<{ Querystring: PageQuery }>(
    '/api/v1/organization/oauth/clients',
    {
      schema: {
        tags,
        security,
        summary: 'OAuth clients in scope',
        querystring: query(pageParams),
        response: { 200: pageOf('OAuthClient'), ...errorResponses },
      },
    },
    async (request) => oauth.listClients(callerOf(request), pageRequest(request.query)),
  );

  app.get<ById>(
    '/api/v1/organization/oauth/client',
    { schema: { tags, security, summary: 'Get an OAuth client', querystring: byId, response: one } },
    async (request) => oauth.getClient(callerOf(request), request.query.id),
  );

  app.post<ById>(
    '/api/v1/organization/oauth/client/disable',
    {
      schema: {
        tags,
        security,
        summary: 'Disable a client: its tokens stop working',
        querystring: byId,
        response: one,
      },
    },
    async (request) => oauth.setClientActive(callerOf(request), request.query.id, false),
  );

  app.post<ById>(
    '/api/v1/organization/oauth/client/enable',
    { schema: { tags, security, summary: 'Enable a disabled client', querystring: byId, response: one } },
    async (request) => oauth.setClientActive(callerOf(request), request.query.id, true),
  );

  app.delete<ById>(
    '/api/v1/organization/oauth/client',
    {
      schema: {
        tags,
        security,
        summary: 'Delete an OAuth client',
        querystring: byId,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await oauth.deleteClient(callerOf(request), request.query.id);
      return reply.code(204).send();
    },
  );
}
