import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Datastream, Template } from '../platform/model.js';
import type { TemplateInput } from '../platform/services.js';
import { type ActionContext, defineAction, type Resource } from './manage-action.js';
import {
  expectPositionals,
  type ParsedArgs,
  parseTemplateRef,
  requiredFlag,
  UsageError,
} from './manage-args.js';
import { isoTime, keyValues, table } from './manage-output.js';

const templateColumns = [
  { title: 'id', value: (t: Template) => t.id },
  { title: 'template id', value: (t: Template) => t.templateId },
  { title: 'name', value: (t: Template) => t.name },
  { title: 'org', value: (t: Template) => t.orgId },
  { title: 'gateway', value: (t: Template) => t.gatewayEnabled },
  { title: 'datastreams', value: (t: Template) => t.datastreams.length },
];

const datastreamColumns = [
  { title: 'id', value: (d: Datastream) => d.id },
  { title: 'pin', value: (d: Datastream) => `V${d.pin}` },
  { title: 'name', value: (d: Datastream) => d.name },
  { title: 'type', value: (d: Datastream) => d.type },
  { title: 'min', value: (d: Datastream) => d.min },
  { title: 'max', value: (d: Datastream) => d.max },
  { title: 'units', value: (d: Datastream) => d.units },
  { title: 'sync', value: (d: Datastream) => d.isSync },
];

export function templateText(template: Template): string {
  const head = keyValues([
    ['id', template.id],
    ['template id', template.templateId],
    ['name', template.name],
    ['org', template.orgId],
    ['description', template.description === '' ? undefined : template.description],
    ['gateway API', template.gatewayEnabled],
    ['offline delay', `${template.offlineDelaySec} s`],
    ['events', template.events.map((e) => e.code).join(', ') || undefined],
    ['metadata', template.metaFields.map((m) => m.name).join(', ') || undefined],
    ['created', isoTime(template.createdAt)],
  ]);
  return `${head}\nDatastreams:\n${table(template.datastreams, datastreamColumns)}`;
}

/** Reads a YAML or JSON document (YAML is a superset of JSON); usage error when unreadable. */
export async function readDocument(path: string, context: ActionContext): Promise<unknown> {
  const full = resolve(context.cwd, path);
  let text: string;
  try {
    text = await context.readFile(full);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new UsageError(`${path} is not valid YAML or JSON: ${(err as Error).message}`);
  }
}

async function templateFile(args: ParsedArgs, context: ActionContext): Promise<TemplateInput> {
  const path = requiredFlag(args.flags, 'file');
  const doc = await readDocument(path, context);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new UsageError(`${path}: expected an object with the template's fields (name, datastreams, …)`);
  }
  return doc as TemplateInput;
}

const refOnly = (args: ParsedArgs): number | string =>
  parseTemplateRef(expectPositionals(args, ['template id'])[0]);

export const templateResource: Resource = {
  name: 'template',
  description: 'device templates with their datastreams, events and metadata fields',
  actions: {
    list: defineAction({
      usage: 'list',
      summary: 'templates visible to the credentials (own subtree and inherited)',
      prepare: (args) => expectPositionals(args, []),
      run: async (api) => {
        const templates = await api.templates.list();
        return { json: templates, text: table(templates, templateColumns) };
      },
    }),
    get: defineAction({
      usage: 'get <id|TMPL…>',
      summary: 'one template with its datastreams',
      prepare: refOnly,
      run: async (api, ref) => {
        const template = await api.templates.get(ref);
        return { json: template, text: templateText(template) };
      },
    }),
    create: defineAction({
      usage: 'create --file <template.json|yaml>',
      summary: 'a template from a file (fields as in the API: name, gatewayEnabled, datastreams, …)',
      flags: { file: 'string' },
      prepare: async (args, context) => {
        expectPositionals(args, []);
        return templateFile(args, context);
      },
      run: async (api, input) => {
        const template = await api.templates.create(input);
        return { json: template, text: `created template ${template.templateId}\n${templateText(template)}` };
      },
    }),
    update: defineAction({
      usage: 'update <id|TMPL…> --file <template.json|yaml>',
      summary: 'replaces the fields the file gives (lists are replaced whole)',
      flags: { file: 'string' },
      prepare: async (args, context) => ({ ref: refOnly(args), patch: await templateFile(args, context) }),
      run: async (api, { ref, patch }) => {
        const template = await api.templates.update(ref, patch);
        return { json: template, text: `updated template ${template.templateId}\n${templateText(template)}` };
      },
    }),
    delete: defineAction({
      usage: 'delete <id|TMPL…>',
      summary: 'a template no device uses',
      prepare: refOnly,
      run: async (api, ref) => {
        await api.templates.delete(ref);
        return { json: { deleted: ref }, text: `deleted template ${ref}\n` };
      },
    }),
  },
};
