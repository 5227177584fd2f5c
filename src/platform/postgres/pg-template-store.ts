import type pg from 'pg';
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
import { isPgError, UNIQUE_VIOLATION, withTransaction } from './pg-store-sql.js';
import { type ChildRowsJson, pgTemplateChildren as children } from './pg-template-children.js';

/** Templates with their children in one statement, so a template is never read half-updated. */
const SELECT_TEMPLATES = `SELECT t.*, ${children.datastreams.rowsJson('t')} AS datastreams_json,
    ${children.events.rowsJson('t')} AS events_json, ${children.metaFields.rowsJson('t')} AS meta_fields_json
  FROM templates t`;

const fieldColumnList = Object.values(templateFieldColumns);
const INSERT_TEMPLATE = `INSERT INTO templates (${fieldColumnList.join(', ')}, created_at, last_modified_ts)
  VALUES (${fieldColumnList.map((_, i) => `$${i + 1}`).join(', ')}, $${fieldColumnList.length + 1},
    $${fieldColumnList.length + 1}) RETURNING id`;

type TemplateReadRow = TemplateRow & ChildRowsJson;

function fromRow(row: TemplateReadRow): Template {
  return toTemplate(row, {
    datastreams: row.datastreams_json,
    events: row.events_json,
    metaFields: row.meta_fields_json,
  });
}

async function readTemplate(db: pg.Pool | pg.ClientBase, id: number): Promise<Template | undefined> {
  const { rows } = await db.query<TemplateReadRow>(`${SELECT_TEMPLATES} WHERE t.id = $1`, [id]);
  return rows[0] === undefined ? undefined : fromRow(rows[0]);
}

async function replaceChildren(client: pg.ClientBase, id: number, lists: TemplateChildren): Promise<void> {
  if (lists.datastreams) await children.datastreams.replace(client, id, lists.datastreams);
  if (lists.events) await children.events.replace(client, id, lists.events);
  if (lists.metaFields) await children.metaFields.replace(client, id, lists.metaFields);
}

/** `UPDATE templates` of the given fields and the stamp; it takes the row lock for the transaction. */
function updateStatement(id: number, fields: Partial<TemplateFields>, at: number): [string, unknown[]] {
  const values = templateFieldValues(fields);
  const columns = Object.keys(values);
  const assignments = columns.map((column, i) => `${column} = $${i + 3}`);
  return [
    `UPDATE templates SET ${[...assignments, 'last_modified_ts = $2'].join(', ')} WHERE id = $1 RETURNING id`,
    [id, at, ...columns.map((column) => values[column])],
  ];
}

function uniqueTemplateId(err: unknown, templateId: string): unknown {
  return isPgError(err, UNIQUE_VIOLATION, 'templates_template_id_key')
    ? new ConflictError(`Template ID ${templateId} is already in use.`)
    : err;
}

/** TemplateStore on the platform PostgreSQL database (schema step 2, schema/templates.ts). */
export function createPostgresTemplateStore(pool: pg.Pool): TemplateStore {
  return {
    async loadAll(): Promise<Template[]> {
      const { rows } = await pool.query<TemplateReadRow>(`${SELECT_TEMPLATES} ORDER BY t.id`);
      return rows.map(fromRow);
    },

    get: (id) => readTemplate(pool, id),

    async insert(template: NewTemplate, at: number): Promise<Template> {
      try {
        return await withTransaction(pool, async (client) => {
          const fields = templateFieldValues(template);
          const { rows } = await client.query<{ id: number }>(INSERT_TEMPLATE, [
            ...fieldColumnList.map((column) => fields[column]),
            at,
          ]);
          const id = (rows[0] as { id: number }).id;
          // A new template owns no child ids: every draft is inserted, whatever id it carries.
          await replaceChildren(client, id, template);
          return (await readTemplate(client, id)) as Template;
        });
      } catch (err) {
        throw uniqueTemplateId(err, template.templateId);
      }
    },

    async update(id, fields, lists, at): Promise<Template | undefined> {
      try {
        return await withTransaction(pool, async (client) => {
          const [sql, params] = updateStatement(id, fields, at);
          if ((await client.query(sql, params)).rowCount === 0) return undefined;
          await replaceChildren(client, id, lists);
          return readTemplate(client, id);
        });
      } catch (err) {
        throw uniqueTemplateId(err, fields.templateId ?? '');
      }
    },

    async delete(id): Promise<TemplateDeleteResult> {
      return withTransaction(pool, async (client) => {
        // FOR UPDATE conflicts with the key-share lock a device insert takes on its template:
        // no device can come to use the template between the check and the delete.
        const found = await client.query('SELECT 1 FROM templates WHERE id = $1 FOR UPDATE', [id]);
        if (found.rowCount === 0) return 'not-found';
        const used = await client.query<{ found: boolean }>(
          'SELECT EXISTS (SELECT 1 FROM devices WHERE template_id = $1) AS found',
          [id],
        );
        if (used.rows[0]?.found === true) return 'in-use';
        await client.query('DELETE FROM templates WHERE id = $1', [id]);
        return 'deleted';
      });
    },
  };
}
