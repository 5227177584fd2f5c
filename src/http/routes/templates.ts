import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TemplateInput } from '../../platform/services.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { type PageQuery, pageRequest, templateRef } from '../params.js';
import { errorResponses, noContent, operationsOf, pageOf, pageParams, query } from '../schemas/common.js';
import { templateCreateBody, templateUpdateBody } from '../schemas/template.js';

const op = operationsOf('templates');
const byTemplateId = query(
  { templateId: { type: 'string', minLength: 1, maxLength: 64, description: 'numeric id or TMPL… id' } },
  ['templateId'],
);
const one = { 200: { $ref: 'Template#' }, ...errorResponses };
const listOf = (name: string) => ({ 200: { type: 'array', items: { $ref: `${name}#` } }, ...errorResponses });

type ByTemplateId = { Querystring: { templateId: string } };

/** Reads: the visible templates, one template, and its datastreams, events and metadata fields. */
function readRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const templates = platform.templates;
  const get = (request: FastifyRequest<ByTemplateId>) =>
    templates.get(callerOf(request), templateRef(request.query.templateId));
  const list = op('Templates visible to the caller', {
    querystring: query(pageParams),
    response: { 200: pageOf('Template'), ...errorResponses },
  });
  app.get<{ Querystring: PageQuery }>('/api/v1/organization/templates', { schema: list }, async (request) =>
    templates.list(callerOf(request), pageRequest(request.query)),
  );
  app.get<ByTemplateId>(
    '/api/v1/organization/template',
    { schema: op('Get a template', { querystring: byTemplateId, response: one }) },
    get,
  );
  const parts = [
    ['datastreams', 'Datastream', (t: Awaited<ReturnType<typeof get>>) => t.datastreams],
    ['events', 'TemplateEvent', (t: Awaited<ReturnType<typeof get>>) => t.events],
    ['metafields', 'MetaField', (t: Awaited<ReturnType<typeof get>>) => t.metaFields],
  ] as const;
  for (const [path, item, pick] of parts) {
    const schema = op(`A template's ${path}`, { querystring: byTemplateId, response: listOf(item) });
    app.get<ByTemplateId>(`/api/v1/organization/template/${path}`, { schema }, async (request) =>
      pick(await get(request)),
    );
  }
}

/** Changes (devgate additions): create (201), update, delete (204). */
function writeRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const templates = platform.templates;
  const create = op('Create a template', {
    body: templateCreateBody,
    response: { 201: { $ref: 'Template#' }, ...errorResponses },
  });
  app.post<{ Body: TemplateInput }>(
    '/api/v1/organization/template/create',
    { schema: create },
    async (request, reply) => reply.code(201).send(await templates.create(callerOf(request), request.body)),
  );
  const update = op('Update a template (lists replace the stored ones)', {
    querystring: byTemplateId,
    body: templateUpdateBody,
    response: one,
  });
  app.put<ByTemplateId & { Body: Partial<TemplateInput> }>(
    '/api/v1/organization/template',
    { schema: update },
    async (request) =>
      templates.update(callerOf(request), templateRef(request.query.templateId), request.body),
  );
  const remove = op('Delete a template no device uses', {
    querystring: byTemplateId,
    response: { 204: noContent, ...errorResponses },
  });
  app.delete<ByTemplateId>('/api/v1/organization/template', { schema: remove }, async (request, reply) => {
    await templates.delete(callerOf(request), templateRef(request.query.templateId));
    return reply.code(204).send();
  });
}

/** Templates and their datastreams, events and metadata fields (spec §5.2–5.6). */
export function templateRoutes(app: FastifyInstance, ctx: RouteContext): void {
  readRoutes(app, ctx);
  writeRoutes(app, ctx);
}
