import type { FastifyInstance } from 'fastify';
import type { Role } from '../../platform/model.js';
import type { UserInput } from '../../platform/users/user-service.js';
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
import { userCreateBody, userPasswordBody, userRoleBody } from '../schemas/user.js';

const op = operationsOf('users');
const one = { 200: { $ref: 'User#' }, ...errorResponses };
const byUserId = query({ userId: idParam }, ['userId']);
const base = '/api/v1/organization';

type ByUserId = { Querystring: { userId: number } };

/** Console users of the caller's subtree (Admins only; decision 0024). */
export function userRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const users = platform.users;
  const list = op('Users whose membership organization is in scope', {
    querystring: query(pageParams),
    response: { 200: pageOf('User'), ...errorResponses },
  });
  app.get<{ Querystring: PageQuery }>(`${base}/users`, { schema: list }, async (request) =>
    users.list(callerOf(request), pageRequest(request.query)),
  );
  const create = op('Create a user', {
    body: userCreateBody,
    response: { 201: { $ref: 'User#' }, ...errorResponses },
  });
  app.post<{ Body: UserInput }>(`${base}/users/create`, { schema: create }, async (request, reply) =>
    reply.code(201).send(await users.create(callerOf(request), request.body)),
  );
  const role = op("Change a user's role (and membership organization)", {
    querystring: byUserId,
    body: userRoleBody,
    response: one,
  });
  app.put<ByUserId & { Body: { role: Role; orgId?: number } }>(
    `${base}/user/role`,
    { schema: role },
    async (request) => users.setRole(callerOf(request), request.query.userId, request.body),
  );
  const password = op("Set a user's password (their sessions end)", {
    querystring: byUserId,
    body: userPasswordBody,
    response: { 204: noContent, ...errorResponses },
  });
  app.put<ByUserId & { Body: { password: string } }>(
    `${base}/user/password`,
    { schema: password },
    async (request, reply) => {
      await users.setPassword(callerOf(request), request.query.userId, request.body.password);
      return reply.code(204).send();
    },
  );
  const remove = op('Delete a user (their sessions end)', {
    querystring: byUserId,
    response: { 204: noContent, ...errorResponses },
  });
  app.delete<ByUserId>(`${base}/user`, { schema: remove }, async (request, reply) => {
    await users.delete(callerOf(request), request.query.userId);
    return reply.code(204).send();
  });
}
