import type { Template } from '../platform/model.js';
import type { TemplateInput } from '../platform/services.js';

type Json = Record<string, unknown>;

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Json).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/**
 * The list to send for a child list the document gives: each desired item laid over the current
 * item with the same id or key (so it keeps its id and any field the document leaves out); items the
 * document does not list are dropped (lists are authoritative).
 */
function mergeList(current: readonly Json[], desired: readonly Json[], key: string): Json[] {
  const byKey = new Map(current.map((item) => [item[key], item]));
  const byId = new Map(current.map((item) => [item.id, item]));
  return desired.map((item) => {
    // An explicit id wins (renaming keeps identity); otherwise the name (events: the code) matches.
    const existing = item.id !== undefined ? byId.get(item.id) : byKey.get(item[key]);
    return existing === undefined ? { ...item } : { ...existing, ...item, id: existing.id };
  });
}

function withoutBuiltIn(field: Json): Json {
  const { builtIn: _builtIn, ...rest } = field;
  return rest;
}

const SCALARS = [
  'name',
  'description',
  'boardType',
  'connectionType',
  'gatewayEnabled',
  'offlineDelaySec',
] as const;

/** The lists as stored, in the shape the update body takes (custom metadata fields only). */
function currentLists(template: Template): Record<'datastreams' | 'events' | 'metaFields', Json[]> {
  return {
    datastreams: template.datastreams.map((d) => ({ ...d })),
    events: template.events.map((e) => ({ ...e })),
    metaFields: template.metaFields.filter((m) => !m.builtIn).map((m) => withoutBuiltIn({ ...m })),
  };
}

const LIST_KEYS = { datastreams: 'name', events: 'code', metaFields: 'name' } as const;

/**
 * The smallest update that makes `template` match what the document says: only fields the
 * document gives and that differ. Empty when nothing would change.
 */
export function templatePatch(template: Template, desired: TemplateInput): Partial<TemplateInput> {
  const patch: Json = {};
  const stored = template as unknown as Json;
  const wanted = desired as unknown as Json;
  for (const field of SCALARS) {
    if (wanted[field] !== undefined && !sameValue(wanted[field], stored[field])) patch[field] = wanted[field];
  }
  const lists = currentLists(template);
  for (const [field, key] of Object.entries(LIST_KEYS) as Array<[keyof typeof LIST_KEYS, string]>) {
    const list = wanted[field] as readonly Json[] | undefined;
    if (list === undefined) continue;
    const merged = mergeList(lists[field], list, key);
    if (!sameValue(merged, lists[field])) patch[field] = merged;
  }
  return patch as Partial<TemplateInput>;
}
