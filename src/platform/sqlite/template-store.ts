import BetterSqlite3, { type Database, type Statement, type Transaction } from 'better-sqlite3';
import { ConflictError } from '../errors.js';
import type { Template } from '../model.js';
import {
  type TemplateRow,
  templateFieldColumns,
  templateFieldValues,
  toTemplate,
} from '../templates/template-rows.js';
import type {
  NewTemplate,
  TemplateChildren,
  TemplateDeleteResult,
  TemplateFields,
  TemplateStore,
} from '../templates/template-store.js';
import { type Params, sqliteParams, templateChildTables } from './template-child-table.js';

const columns = Object.values(templateFieldColumns);

/** SQLite TemplateStore on the platform database (schema/templates.ts). */
export function createSqliteTemplateStore(db: Database): TemplateStore {
  return new SqliteTemplateStore(db);
}

class SqliteTemplateStore implements TemplateStore {
  readonly #children: ReturnType<typeof templateChildTables>;
  readonly #selectOne: Statement<[number], TemplateRow>;
  readonly #selectAll: Statement<[], TemplateRow>;
  readonly #insert: Transaction<(template: NewTemplate, at: number) => number>;
  readonly #update: Transaction<
    (id: number, fields: Partial<TemplateFields>, children: TemplateChildren, at: number) => boolean
  >;
  readonly #delete: Transaction<(id: number) => TemplateDeleteResult>;

  constructor(db: Database) {
    const children = templateChildTables(db);
    this.#children = children;
    const selectOne = db.prepare<[number], TemplateRow>('SELECT * FROM templates WHERE id = ?');
    this.#selectOne = selectOne;
    this.#selectAll = db.prepare<[], TemplateRow>('SELECT * FROM templates ORDER BY id');
    const insertRow = db.prepare<[Params]>(
      `INSERT INTO templates (${columns.join(', ')}, created_at, last_modified_ts)
       VALUES (${columns.map((c) => `@${c}`).join(', ')}, @at, @at)`,
    );
    const updateRow = db.prepare<[Params]>(
      `UPDATE templates SET ${columns.map((c) => `${c} = @${c}`).join(', ')}, last_modified_ts = @at WHERE id = @id`,
    );
    const inUse = db.prepare<[number]>('SELECT 1 FROM devices WHERE template_id = ? LIMIT 1');
    const deleteRow = db.prepare<[number]>('DELETE FROM templates WHERE id = ?');

    this.#insert = db.transaction((template, at) => {
      const id = Number(insertRow.run({ ...fieldParams(template), at }).lastInsertRowid);
      children.datastreams.insertAll(id, template.datastreams);
      children.events.insertAll(id, template.events);
      children.metaFields.insertAll(id, template.metaFields);
      return id;
    });
    this.#update = db.transaction((id, fields, lists, at) => {
      const row = selectOne.get(id);
      if (!row) return false;
      updateRow.run({ ...row, ...fieldParams(fields), at, id });
      if (lists.datastreams) children.datastreams.replace(id, lists.datastreams);
      if (lists.events) children.events.replace(id, lists.events);
      if (lists.metaFields) children.metaFields.replace(id, lists.metaFields);
      return true;
    });
    // The device check and the delete share one transaction: no device can slip in between.
    this.#delete = db.transaction((id) => {
      if (!selectOne.get(id)) return 'not-found';
      if (inUse.get(id)) return 'in-use';
      deleteRow.run(id);
      return 'deleted';
    });
  }

  async loadAll(): Promise<Template[]> {
    const datastreams = this.#children.datastreams.loadAll();
    const events = this.#children.events.loadAll();
    const metaFields = this.#children.metaFields.loadAll();
    return this.#selectAll.all().map((row) =>
      toTemplate(row, {
        datastreams: datastreams.get(row.id) ?? [],
        events: events.get(row.id) ?? [],
        metaFields: metaFields.get(row.id) ?? [],
      }),
    );
  }

  async get(id: number): Promise<Template | undefined> {
    return this.#read(id);
  }

  async insert(template: NewTemplate, at: number): Promise<Template> {
    try {
      return this.#read(this.#insert.immediate(template, at)) as Template;
    } catch (err) {
      throw uniqueTemplateId(err, template.templateId);
    }
  }

  async update(
    id: number,
    fields: Partial<TemplateFields>,
    children: TemplateChildren,
    at: number,
  ): Promise<Template | undefined> {
    try {
      return this.#update.immediate(id, fields, children, at) ? this.#read(id) : undefined;
    } catch (err) {
      throw uniqueTemplateId(err, fields.templateId ?? '');
    }
  }

  async delete(id: number): Promise<TemplateDeleteResult> {
    return this.#delete.immediate(id);
  }

  #read(id: number): Template | undefined {
    const row = this.#selectOne.get(id);
    if (!row) return undefined;
    return toTemplate(row, {
      datastreams: this.#children.datastreams.load(id),
      events: this.#children.events.load(id),
      metaFields: this.#children.metaFields.load(id),
    });
  }
}

/** Column-named parameters for the given template fields only. */
function fieldParams(fields: Partial<TemplateFields>): Params {
  return sqliteParams(templateFieldValues(fields));
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
