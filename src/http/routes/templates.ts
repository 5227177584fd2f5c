import type { FastifyInstance } from 'fastify';
import type { TemplateInput } from '../../platform/services.js';
import { callerOf } from '../auth.js';
import type { RouteContext } from '../context.js';
import { type PageQuery, pageRequest, templateRef } from '../params.js';
import { bearerSecurity, errorResponses, noContent, pageOf, pageParams, query } from '../schemas/common.js';
import { templateCreateBody, templateUpdateBody } from '../schemas/template.js';

const tags = ['templates'];
const security = bearerSecurity;
const byTemplateId = query(
  { templateId: { type: 'string', minLength: 1, maxLength: 64, description: 'numeric id or TMPL… id' } },
  ['templateId'],
);
const one = { 200: { $ref: 'Template#' }, ...errorResponses };
const listOf = (name: string) => ({ 200: { type: 'array', items: { $ref: `${name}#` } }, ...errorResponses });

type ByTemplateId = { Querystring: { templateId: string } };

/** Templates and their datastreams, events and metadata fields (spec §5.2–5.6). */
export function templateRoutes(app: FastifyInstance, { platform }: RouteContext): void {
  const templates = platform.templates;
  const get = (request: Parameters<typeof callerOf>[0] & { query: { templateId: string } }) =>
    templates.get(callerOf(request), templateRef(request.query.templateId));

  app.get<{ Querystring: PageQuery }>(
    '/api/v1/organization/templates',
    {
      schema: {
        tags,
        security,
        summary: 'Templates visible to the caller',
        querystring: query(pageParams),
        response: { 200: pageOf('Template'), ...errorResponses },
      },
    },
    async (request) => templates.list(callerOf(request), pageRequest(request.query)),
  );

  app.get<ByTemplateId>(
    '/api/v1/organization/template',
    { schema: { tags, security, summary: 'Get a template', querystring: byTemplateId, response: one } },
    async (request) => get(request),
  );

  app.get<ByTemplateId>(
    '/api/v1/organization/template/datastreams',
    {
      schema: {
        tags,
        security,
        summary: "A template's datastreams",
        querystring: byTemplateId,
        response: listOf('Datastream'),
      },
    },
    async (request) => (await get(request)).datastreams,
  );

  app.get<ByTemplateId>(
    '/api/v1/organization/template/events',
    {
      schema: {
        tags,
        security,
        summary: "A template's events",
        querystring: byTemplateId,
        response: listOf('TemplateEvent'),
      },
    },
    async (request) => (await get(request)).events,
  );

  app.get<ByTemplateId>(
    '/api/v1/organization/template/metafields',
    {
      schema: {
        tags,
        security,
        summary: "A template's metadata fields",
        querystring: byTemplateId,
        response: listOf('MetaField'),
      },
    },
    async (request) => (await get(request)).metaFields,
  );

  app.post<{ Body: TemplateInput }>(
    '/api/v1/organization/template/create',
    {
      schema: {
        tags,
        security,
        summary: 'Create a template',
        body: templateCreateBody,
        response: { 201: { $ref: 'Template#' }, ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await templates.create(callerOf(request), request.body)),
  );

  app.put<ByTemplateId & { Body: Partial<TemplateInput> }>(
    '/api/v1/organization/template',
    {
      schema: {
        tags,
        security,
        summary: 'Update a template (lists replace the stored ones)',
        querystring: byTemplateId,
        body: templateUpdateBody,
        response: one,
      },
    },
    async (request) =>
      templates.update(callerOf(request), templateRef(request.query.templateId), request.body),
  );

  app.delete<ByTemplateId>(
    '/api/v1/organization/template',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a template no device uses',
        querystring: byTemplateId,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await templates.delete(callerOf(request), templateRef(request.query.templateId));
      return reply.code(204).send();
    },
  );
}
