import type { Database, Statement } from 'better-sqlite3';
import {
  type DatastreamRow,
  datastreamColumns,
  datastreamParams,
  type EventRow,
  eventColumns,
  eventParams,
  type MetaFieldRow,
  metaFieldColumns,
  metaFieldParams,
} from '../templates/template-rows.js';
import type { DatastreamDraft, MetaFieldDraft, TemplateEventDraft } from '../templates/template-store.js';

export type Params = Record<string, unknown>;

/** SQLite binds no booleans: they are stored as 0/1. */
export function sqliteParams(params: Params): Params {
  const bound: Params = {};
  for (const [key, value] of Object.entries(params)) {
    bound[key] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }
  return bound;
}

/** One child table (datastreams, template_events, meta_fields): load, and replace a full list by id. */
export class ChildTable<
  Row extends { id: number; template_id: number },
  Draft extends { readonly id?: number },
> {
  private readonly byTemplate: Statement<[number], Row>;
  private readonly all: Statement<[], Row>;
  private readonly ids: Statement<[number], { id: number }>;
  private readonly insertRow: Statement<[Params]>;
  private readonly updateRow: Statement<[Params]>;
  private readonly deleteRow: Statement<[number]>;

  constructor(
    db: Database,
    table: string,
    columns: readonly string[],
    private readonly columnValues: (draft: Draft, templateId: number, position: number) => Params,
  ) {
    this.byTemplate = db.prepare(`SELECT * FROM ${table} WHERE template_id = ? ORDER BY position, id`);
    this.all = db.prepare(`SELECT * FROM ${table} ORDER BY template_id, position, id`);
    this.ids = db.prepare(`SELECT id FROM ${table} WHERE template_id = ?`);
    this.insertRow = db.prepare(
      `INSERT INTO ${table} (template_id, position, ${columns.join(', ')})
       VALUES (@template_id, @position, ${columns.map((c) => `@${c}`).join(', ')})`,
    );
    this.updateRow = db.prepare(
      `UPDATE ${table} SET position = @position, ${columns.map((c) => `${c} = @${c}`).join(', ')}
       WHERE id = @id AND template_id = @template_id`,
    );
    this.deleteRow = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
  }

  load(templateId: number): Row[] {
    return this.byTemplate.all(templateId);
  }

  /** Every row grouped by template id. */
  loadAll(): Map<number, Row[]> {
    const groups = new Map<number, Row[]>();
    for (const row of this.all.all()) {
      const group = groups.get(row.template_id);
      if (group) group.push(row);
      else groups.set(row.template_id, [row]);
    }
    return groups;
  }

  private params(draft: Draft, templateId: number, position: number): Params {
    return sqliteParams(this.columnValues(draft, templateId, position));
  }

  insertAll(templateId: number, drafts: readonly Draft[]): void {
    drafts.forEach((draft, position) => {
      this.insertRow.run(this.params(draft, templateId, position));
    });
  }

  /** Call inside a transaction. Kept ids are updated in place so references to them survive. */
  replace(templateId: number, drafts: readonly Draft[]): void {
    const existing = new Set(this.ids.all(templateId).map((row) => row.id));
    const kept = new Set(
      drafts.flatMap((draft) => (draft.id !== undefined && existing.has(draft.id) ? [draft.id] : [])),
    );
    for (const id of existing) if (!kept.has(id)) this.deleteRow.run(id);
    drafts.forEach((draft, position) => {
      const params = this.params(draft, templateId, position);
      if (draft.id !== undefined && kept.has(draft.id)) this.updateRow.run({ ...params, id: draft.id });
      else this.insertRow.run(params);
    });
  }
}

/** The three child tables of a template on `db`. */
export function templateChildTables(db: Database) {
  return {
    datastreams: new ChildTable<DatastreamRow, DatastreamDraft>(
      db,
      'datastreams',
      datastreamColumns,
      datastreamParams,
    ),
    events: new ChildTable<EventRow, TemplateEventDraft>(db, 'template_events', eventColumns, eventParams),
    metaFields: new ChildTable<MetaFieldRow, MetaFieldDraft>(
      db,
      'meta_fields',
      metaFieldColumns,
      metaFieldParams,
    ),
  };
}
