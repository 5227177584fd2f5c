import type pg from 'pg';
import {
  type DatastreamRow,
  type datastreamColumns,
  datastreamParams,
  type EventRow,
  type eventColumns,
  eventParams,
  type MetaFieldRow,
  type metaFieldColumns,
  metaFieldParams,
} from '../templates/template-rows.js';
import type { DatastreamDraft, MetaFieldDraft, TemplateEventDraft } from '../templates/template-store.js';

type ColumnValues = Record<string, unknown>;

/**
 * One child table of a template (datastreams, template_events, meta_fields) on PostgreSQL: its
 * full list is replaced by one statement whatever its length (the drafts travel as one array per
 * column). Kept ids are updated in place, so values stored against them stay attached.
 */
export class PgChildTable<Draft extends { readonly id?: number }> {
  readonly #columns: readonly string[];
  readonly #replaceSql: string;

  constructor(
    readonly table: string,
    /** Each own column with its PostgreSQL type, in the order of `columnValues`' keys. */
    columnTypes: Readonly<Record<string, string>>,
    private readonly columnValues: (draft: Draft, templateId: number, position: number) => ColumnValues,
  ) {
    this.#columns = Object.keys(columnTypes);
    const arrays = this.#columns.map((column, i) => `$${i + 4}::${columnTypes[column]}[]`);
    const own = this.#columns.join(', ');
    const fromInput = this.#columns.map((column) => `i.${column}`).join(', ');
    const assignments = this.#columns.map((column) => `${column} = i.${column}`).join(', ');
    // One snapshot for the three parts: the delete and the update touch disjoint rows, and an
    // id that is unknown or another template's is inserted as new.
    this.#replaceSql = `WITH input AS (
        SELECT * FROM unnest($2::bigint[], $3::integer[], ${arrays.join(', ')}) AS i(id, position, ${own})
      ),
      removed AS (
        DELETE FROM ${table} c WHERE c.template_id = $1::bigint
          AND NOT EXISTS (SELECT 1 FROM input i WHERE i.id = c.id)
      ),
      kept AS (
        UPDATE ${table} c SET position = i.position, ${assignments}
          FROM input i WHERE c.id = i.id AND c.template_id = $1::bigint
      )
      INSERT INTO ${table} (template_id, position, ${own})
      SELECT $1::bigint, i.position, ${fromInput} FROM input i
        WHERE NOT EXISTS (SELECT 1 FROM ${table} c WHERE c.id = i.id AND c.template_id = $1::bigint)
        ORDER BY i.position`;
  }

  /** Makes the template's rows exactly `drafts`, in their order. Inside the template's transaction. */
  async replace(client: pg.ClientBase, templateId: number, drafts: readonly Draft[]): Promise<void> {
    const rows = drafts.map((draft, position) => this.columnValues(draft, templateId, position));
    await client.query(this.#replaceSql, [
      templateId,
      drafts.map((draft) => draft.id ?? null),
      rows.map((row) => row.position),
      ...this.#columns.map((column) => rows.map((row) => row[column] ?? null)),
    ]);
  }

  /** A SELECT-list expression: the template's rows as a JSON array of row objects, in order. */
  rowsJson(templateAlias: string): string {
    return `(SELECT coalesce(json_agg(c ORDER BY c.position, c.id), '[]'::json)
      FROM ${this.table} c WHERE c.template_id = ${templateAlias}.id)`;
  }
}

/** The three child tables with each column's PostgreSQL type (schema/templates.ts). */
export const pgTemplateChildren = {
  datastreams: new PgChildTable<DatastreamDraft>(
    'datastreams',
    {
      name: 'text',
      alias: 'text',
      pin: 'integer',
      type: 'text',
      min: 'double precision',
      max: 'double precision',
      default_value: 'text',
      units: 'text',
      decimals: 'integer',
      is_sync: 'boolean',
      is_raw: 'boolean',
      enum_values: 'text',
      enum_fallback: 'integer',
    } satisfies Record<(typeof datastreamColumns)[number], string>,
    datastreamParams,
  ),
  events: new PgChildTable<TemplateEventDraft>(
    'template_events',
    { code: 'text', name: 'text', type: 'text', description: 'text' } satisfies Record<
      (typeof eventColumns)[number],
      string
    >,
    eventParams,
  ),
  metaFields: new PgChildTable<MetaFieldDraft>(
    'meta_fields',
    {
      name: 'text',
      type: 'text',
      built_in: 'boolean',
      default_value: 'text',
      min: 'double precision',
      max: 'double precision',
      options: 'text',
    } satisfies Record<(typeof metaFieldColumns)[number], string>,
    metaFieldParams,
  ),
};

/** The child rows as json_agg returns them, ready for toTemplate. */
export interface ChildRowsJson {
  datastreams_json: DatastreamRow[];
  events_json: EventRow[];
  meta_fields_json: MetaFieldRow[];
}
