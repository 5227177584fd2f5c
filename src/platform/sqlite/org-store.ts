import BetterSqlite3, { type Database } from 'better-sqlite3';
import { ConflictError } from '../errors.js';
import type { Organization, OrgType, Page } from '../model.js';
import {
  ORG_COLUMNS as COLUMNS,
  orgFromRow as fromRow,
  type OrgRow,
  orgColumnValues,
} from '../orgs/org-rows.js';
import type { NewOrganization, OrgListQuery, OrgNode, OrgStore } from '../orgs/org-store.js';

/** Named parameters of an org; SQLite stores `is_active` as 0/1. */
function params(org: NewOrganization) {
  const values = orgColumnValues(org);
  return { ...values, is_active: values.is_active ? 1 : 0 };
}

/** OrgStore on the platform SQLite database (schema step 1, src/platform/sqlite/schema/orgs.ts). */
export function createSqliteOrgStore(db: Database): OrgStore {
  const nodes = db.prepare<[], { id: number; parent_id: number | null; type: string }>(
    'SELECT id, parent_id, type FROM organizations',
  );
  const byId = db.prepare<[number], OrgRow>(`SELECT ${COLUMNS} FROM organizations WHERE id = ?`);
  const insert = db.prepare(`INSERT INTO organizations (parent_id, name, name_lower, description, type,
      is_active, tz, unit_system, phone_number, address, home_region_url, created_at, last_modified_ts)
    VALUES (@parent_id, @name, @name_lower, @description, @type, @is_active, @tz, @unit_system, @phone_number,
      @address, @home_region_url, @created_at, @last_modified_ts) RETURNING ${COLUMNS}`);
  const replace = db.prepare(`UPDATE organizations SET parent_id = @parent_id, name = @name,
      name_lower = @name_lower, description = @description, type = @type, is_active = @is_active, tz = @tz,
      unit_system = @unit_system, phone_number = @phone_number, address = @address,
      home_region_url = @home_region_url, created_at = @created_at, last_modified_ts = @last_modified_ts
    WHERE id = @id RETURNING ${COLUMNS}`);
  const remove = db.prepare<[number]>('DELETE FROM organizations WHERE id = ?');
  // The list of ids travels as one JSON parameter: no statement per scope size.
  const scoped = `FROM organizations WHERE id IN (SELECT value FROM json_each(@ids))
    AND (@query IS NULL OR instr(name_lower, @query) > 0)`;
  const page = db.prepare<[object], OrgRow>(
    `SELECT ${COLUMNS} ${scoped} ORDER BY id LIMIT @limit OFFSET @offset`,
  );
  const count = db.prepare<[object], { n: number }>(`SELECT count(*) AS n ${scoped}`);
  // Prepared on first use: the devices table comes with a later schema step.
  let devices: BetterSqlite3.Statement<[number]> | undefined;

  return {
    async loadNodes(): Promise<OrgNode[]> {
      return nodes
        .all()
        .map((r) => ({ id: r.id, parentOrganizationId: r.parent_id, type: r.type as OrgType }));
    },
    async get(id) {
      const row = byId.get(id);
      return row === undefined ? undefined : fromRow(row);
    },
    async insert(org) {
      try {
        return fromRow(insert.get(params(org)) as OrgRow);
      } catch (err) {
        if (err instanceof BetterSqlite3.SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new ConflictError('The root organization already exists.');
        }
        throw err;
      }
    },
    async replace(org) {
      const row = replace.get({ ...params(org), id: org.id }) as OrgRow | undefined;
      return row === undefined ? undefined : fromRow(row);
    },
    async delete(id) {
      try {
        return remove.run(id).changes > 0;
      } catch (err) {
        // Sub-orgs, templates and devices reference the org without cascading.
        if (err instanceof BetterSqlite3.SqliteError && err.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
          throw new ConflictError(
            'An organization that still has sub-organizations, templates or devices cannot be deleted.',
          );
        }
        throw err;
      }
    },
    async list(query: OrgListQuery): Promise<Page<Organization>> {
      const args = {
        ids: JSON.stringify(query.ids),
        query: query.nameContains === undefined ? null : query.nameContains.toLowerCase(),
        limit: query.limit,
        offset: query.offset,
      };
      return { content: page.all(args).map(fromRow), totalElements: count.get(args)?.n ?? 0 };
    },
    async hasDevices(id) {
      devices ??= db.prepare<[number]>('SELECT 1 FROM devices WHERE org_id = ? LIMIT 1');
      return devices.get(id) !== undefined;
    },
  };
}
