import type { OrgInput, TemplateInput } from '../platform/services.js';
import { UsageError } from './manage-args.js';

/**
 * The declarative document `devgate apply` reads (YAML or JSON):
 *   organizations: nested by `organizations`, identified by name under their parent
 *   templates:     identified by `templateId` when given, else by name within `org`
 *   devices:       identified by name within `org`; `template` is a name or a TMPL… id
 * `org` is a path of names below the credentials' organization (`Acme/Plant 1`); absent = that org.
 */
export interface ApplyDocument {
  readonly organizations: readonly OrgSpec[];
  readonly templates: readonly TemplateSpec[];
  readonly devices: readonly DeviceSpec[];
}

export type OrgFields = Omit<OrgInput, 'name'>;

export interface OrgSpec {
  readonly name: string;
  readonly fields: OrgFields;
  readonly organizations: readonly OrgSpec[];
}

export interface TemplateSpec {
  readonly org?: string;
  readonly input: TemplateInput;
}

export interface DeviceSpec {
  readonly name: string;
  readonly template: string;
  readonly org?: string;
}

type Json = Record<string, unknown>;

const ORG_FIELDS = ['description', 'type', 'tz', 'unitSystem', 'phoneNumber', 'address', 'homeRegionUrl'];
const TEMPLATE_FIELDS = [
  'name',
  'templateId',
  'description',
  'boardType',
  'connectionType',
  'gatewayEnabled',
  'offlineDelaySec',
  'datastreams',
  'events',
  'metaFields',
];

function fail(where: string, message: string): never {
  throw new UsageError(`${where}: ${message}`);
}

function object(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'expected an object');
  return value as Json;
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(where, 'expected a list');
  return value;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(where, 'expected a non-empty string');
  return value.trim();
}

function optionalText(value: unknown, where: string): string | undefined {
  return value === undefined ? undefined : text(value, where);
}

function onlyKeys(node: Json, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(node)) {
    if (!allowed.includes(key))
      fail(where, `unknown field "${key}" (expected one of: ${allowed.join(', ')})`);
  }
}

function pick(node: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const key of keys) if (node[key] !== undefined) out[key] = node[key];
  return out;
}

function orgSpec(value: unknown, where: string): OrgSpec {
  const node = object(value, where);
  onlyKeys(node, ['name', 'organizations', ...ORG_FIELDS], where);
  const name = text(node.name, `${where}.name`);
  if (name.includes('/')) fail(`${where}.name`, 'must not contain "/" (used in org paths)');
  const children = list(node.organizations, `${where}.organizations`).map((child, i) =>
    orgSpec(child, `${where}.organizations[${i}]`),
  );
  return { name, fields: pick(node, ORG_FIELDS) as OrgFields, organizations: children };
}

function templateSpec(value: unknown, where: string): TemplateSpec {
  const node = object(value, where);
  onlyKeys(node, ['org', ...TEMPLATE_FIELDS], where);
  text(node.name, `${where}.name`);
  optionalText(node.templateId, `${where}.templateId`);
  for (const key of ['datastreams', 'events', 'metaFields']) list(node[key], `${where}.${key}`);
  const org = optionalText(node.org, `${where}.org`);
  return {
    ...(org === undefined ? {} : { org }),
    input: pick(node, TEMPLATE_FIELDS) as unknown as TemplateInput,
  };
}

function deviceSpec(value: unknown, where: string): DeviceSpec {
  const node = object(value, where);
  onlyKeys(node, ['name', 'template', 'org'], where);
  const org = optionalText(node.org, `${where}.org`);
  return {
    name: text(node.name, `${where}.name`),
    template: text(node.template, `${where}.template`),
    ...(org === undefined ? {} : { org }),
  };
}

/** Checks the document's shape (the server checks the values); usage errors name the field. */
export function parseApplyDocument(value: unknown, file: string): ApplyDocument {
  const root = object(value ?? {}, file);
  onlyKeys(root, ['organizations', 'templates', 'devices'], file);
  return {
    organizations: list(root.organizations, `${file}: organizations`).map((o, i) =>
      orgSpec(o, `${file}: organizations[${i}]`),
    ),
    templates: list(root.templates, `${file}: templates`).map((t, i) =>
      templateSpec(t, `${file}: templates[${i}]`),
    ),
    devices: list(root.devices, `${file}: devices`).map((d, i) => deviceSpec(d, `${file}: devices[${i}]`)),
  };
}

/** `Acme / Plant 1` → ['Acme', 'Plant 1']; empty or `/` = the credentials' org. */
export function orgPath(path: string | undefined): string[] {
  if (path === undefined) return [];
  return path
    .split('/')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
