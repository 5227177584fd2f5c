import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { ConflictError } from '../errors.js';
import type { Template } from '../model.js';
import type {
  NewTemplate,
  TemplateChildren,
  TemplateDeleteResult,
  TemplateFields,
  TemplateStore,
} from '../templates/template-store.js';
import {
  type DatastreamRow,
  datastreamParams,
  type EventRow,
  eventParams,
  type MetaFieldRow,
  metaFieldParams,
  type TemplateRow,
  toTemplate,
} from './template-rows.js';

type Params = Record<string, unknown>;

/** One child table (datastreams, template_events, meta_fields): load, and replace a full list by id. */
class ChildTable<Row extends { id: number; template_id: number }, Draft extends { readonly id?: number }> {
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
    private readonly params: (draft: Draft, templateId: number, position: number) => Params,
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

  insertAll(templateId: number, drafts: readonly Draft[]): void {
    drafts.forEach((draft, position) => {
      this.insertRow.run(this.params(draft, templateId, position));
    });
  }

  /** Call inside a transaction. Kept ids are updated in place so references to them survive. */
  replace(templateId: number, drafts: readonly Draft[]): void {
    const existing = new Set(this.ids.all(templateId).map((row) => row.id));
    const kept = new Set(drafts.flatMap((draft) => (draft.id !== undefined && existing.has(draft.id) ? [draft.id] : [])));
    for (const id of existing) if (!kept.has(id)) this.deleteRow.run(id);
    drafts.forEach((draft, position) => {
      const params = this.params(draft, templateId, position);
      if (draft.id !== undefined && kept.has(draft.id)) this.updateRow.run({ ...params, id: draft.id });
      else this.insertRow.run(params);
    });
  }
}

const datastreamColumns = [
  'name',
  'alias',
  'pin',
  'type',
  'min',
  'max',
  'default_value',
  'units',
  'decimals',
  'is_sync',
  'is_raw',
  'enum_values',
  'enum_fallback',
];
const eventColumns = ['code', 'name', 'type', 'description'];
const metaFieldColumns = ['name', 'type', 'built_in', 'default_value', 'min', 'max', 'options'];

const fieldColumns: Record<keyof TemplateFields, string> = {
  templateId: 'template_id',
  orgId: 'org_id',
  name: 'name',
  description: 'description',
  boardType: 'board_type',
  connectionType: 'connection_type',
  gatewayEnabled: 'gateway_enabled',
  offlineDelaySec: 'offline_delay_sec',
};

/** SQLite TemplateStore on the platform database (schema/templates.ts). */
export function createSqliteTemplateStore(db: Database): TemplateStore {
  const datastreams = new ChildTable<DatastreamRow, NonNullable<TemplateChildren['datastreams']>[number]>(
    db,
    'datastreams',
    datastreamColumns,
    datastreamParams,
  );
  const events = new ChildTable<EventRow, NonNullable<TemplateChildren['events']>[number]>(
    db,
    'template_events',
    eventColumns,
    eventParams,
  );
  const metaFields = new ChildTable<MetaFieldRow, NonNullable<TemplateChildren['metaFields']>[number]>(
    db,
    'meta_fields',
    metaFieldColumns,
    metaFieldParams,
  );
  const selectOne = db.prepare<[number], TemplateRow>('SELECT * FROM templates WHERE id = ?');
  const selectAll = db.prepare<[], TemplateRow>('SELECT * FROM templates ORDER BY id');
  const insertTemplate = db.prepare<[Params]>(
    `INSERT INTO templates (${Object.values(fieldColumns).join(', ')}, created_at, last_modified_ts)
     VALUES (${Object.values(fieldColumns)
       .map((c) => `@${c}`)
       .join(', ')}, @at, @at)`,
  );
  const updateTemplate = db.prepare<[Params]>(
    `UPDATE templates SET ${Object.values(fieldColumns)
      .map((c) => `${c} = @${c}`)
      .join(', ')}, last_modified_ts = @at WHERE id = @id`,
  );
  const inUse = db.prepare<[number]>('SELECT 1 FROM devices WHERE template_id = ? LIMIT 1');
  const deleteTemplate = db.prepare<[number]>('DELETE FROM templates WHERE id = ?');

  const read = (id: number): Template | undefined => {
    const row = selectOne.get(id);
    if (!row) return undefined;
    return toTemplate(row, { datastreams: datastreams.load(id), events: events.load(id), metaFields: metaFields.load(id) });
  };

  const insert = db.transaction((template: NewTemplate, at: number): number => {
    const id = Number(insertTemplate.run({ ...fieldParams(template), at }).lastInsertRowid);
    datastreams.insertAll(id, template.datastreams);
    events.insertAll(id, template.events);
    metaFields.insertAll(id, template.metaFields);
    return id;
  });

  const update = db.transaction(
    (id: number, fields: Partial<TemplateFields>, children: TemplateChildren, at: number): boolean => {
      const row = selectOne.get(id);
      if (!row) return false;
      updateTemplate.run({ ...row, ...fieldParams(fields), at, id });
      if (children.datastreams) datastreams.replace(id, children.datastreams);
      if (children.events) events.replace(id, children.events);
      if (children.metaFields) metaFields.replace(id, children.metaFields);
      return true;
    },
  );

  const remove = db.transaction((id: number): TemplateDeleteResult => {
    if (!selectOne.get(id)) return 'not-found';
    if (inUse.get(id)) return 'in-use';
    deleteTemplate.run(id);
    return 'deleted';
  });

  return {
    async loadAll() {
      const groups = [datastreams.loadAll(), events.loadAll(), metaFields.loadAll()] as const;
      return selectAll.all().map((row) =>
        toTemplate(row, {
          datastreams: groups[0].get(row.id) ?? [],
          events: groups[1].get(row.id) ?? [],
          metaFields: groups[2].get(row.id) ?? [],
        }),
      );
    },
    async get(id) {
      return read(id);
    },
    async insert(template, at) {
      try {
        return read(insert.immediate(template, at)) as Template;
      } catch (err) {
        throw uniqueTemplateId(err, template.templateId);
      }
    },
    async update(id, fields, children, at) {
      try {
        return update.immediate(id, fields, children, at) ? read(id) : undefined;
      } catch (err) {
        throw uniqueTemplateId(err, fields.templateId ?? '');
      }
    },
    async delete(id) {
      return remove.immediate(id);
    },
  };
}

/** Column-named parameters for the given template fields only. */
function fieldParams(fields: Partial<TemplateFields>): Params {
  const params: Params = {};
  for (const [key, column] of Object.entries(fieldColumns)) {
    const value = fields[key as keyof TemplateFields];
    if (value !== undefined) params[column] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }
  return params;
}

function uniqueTemplateId(err: unknown, templateId: string): unknown {
  if (
    err instanceof BetterSqlite3.SqliteError &&
    err.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    err.message.includes('templates.template_id')
  ) {
    return new ConflictError(`Template ID ${templateId} is already in use.`);
  }
  return err;
}
