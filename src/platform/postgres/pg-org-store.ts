import type pg from 'pg';
import { ConflictError } from '../errors.js';
import type { Organization, OrgType, Page } from '../model.js';
import { ORG_COLUMNS, type OrgRow, orgColumnValues, orgFromRow } from '../orgs/org-rows.js';
import type { NewOrganization, OrgListQuery, OrgNode, OrgStore } from '../orgs/org-store.js';
import { FOREIGN_KEY_VIOLATION, isPgError, selectPage, UNIQUE_VIOLATION } from './pg-store-sql.js';

/** Column values in the order of the INSERT/UPDATE statements' $1…$13. */
function values(org: NewOrganization): unknown[] {
  const v = orgColumnValues(org);
  return [
    v.parent_id,
    v.name,
    v.name_lower,
    v.description,
    v.type,
    v.is_active,
    v.tz,
    v.unit_system,
    v.phone_number,
    v.address,
    v.home_region_url,
    v.created_at,
    v.last_modified_ts,
  ];
}

const INSERT = `INSERT INTO organizations (parent_id, name, name_lower, description, type, is_active, tz,
    unit_system, phone_number, address, home_region_url, created_at, last_modified_ts)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${ORG_COLUMNS}`;
const REPLACE = `UPDATE organizations SET parent_id = $1, name = $2, name_lower = $3, description = $4,
    type = $5, is_active = $6, tz = $7, unit_system = $8, phone_number = $9, address = $10,
    home_region_url = $11, created_at = $12, last_modified_ts = $13
  WHERE id = $14 RETURNING ${ORG_COLUMNS}`;
// strpos, not LIKE: '%' and '_' in the query are plain characters. The ids travel as one array.
const SCOPED = `SELECT ${ORG_COLUMNS} FROM organizations WHERE id = ANY($1::bigint[])
  AND ($2::text IS NULL OR strpos(name_lower, $2) > 0)`;

/** OrgStore on the platform PostgreSQL database (schema step 1, schema/orgs.ts). */
export function createPostgresOrgStore(pool: pg.Pool): OrgStore {
  return {
    async loadNodes(): Promise<OrgNode[]> {
      const { rows } = await pool.query<{ id: number; parent_id: number | null; type: string }>(
        'SELECT id, parent_id, type FROM organizations',
      );
      return rows.map((r) => ({ id: r.id, parentOrganizationId: r.parent_id, type: r.type as OrgType }));
    },
    async get(id) {
      const { rows } = await pool.query<OrgRow>(`SELECT ${ORG_COLUMNS} FROM organizations WHERE id = $1`, [
        id,
      ]);
      return rows[0] === undefined ? undefined : orgFromRow(rows[0]);
    },
    async insert(org) {
      try {
        const { rows } = await pool.query<OrgRow>(INSERT, values(org));
        return orgFromRow(rows[0] as OrgRow);
      } catch (err) {
        if (isPgError(err, UNIQUE_VIOLATION, 'organizations_single_root')) {
          throw new ConflictError('The root organization already exists.');
        }
        throw err;
      }
    },
    async replace(org) {
      const { rows } = await pool.query<OrgRow>(REPLACE, [...values(org), org.id]);
      return rows[0] === undefined ? undefined : orgFromRow(rows[0]);
    },
    async delete(id) {
      try {
        return ((await pool.query('DELETE FROM organizations WHERE id = $1', [id])).rowCount ?? 0) > 0;
      } catch (err) {
        // Sub-orgs, templates and devices reference the org without cascading.
        if (isPgError(err, FOREIGN_KEY_VIOLATION)) {
          throw new ConflictError(
            'An organization that still has sub-organizations, templates or devices cannot be deleted.',
          );
        }
        throw err;
      }
    },
    async list(query: OrgListQuery): Promise<Page<Organization>> {
      const nameQuery = query.nameContains === undefined ? null : query.nameContains.toLowerCase();
      const page = await selectPage<OrgRow>(pool, SCOPED, [query.ids, nameQuery], query);
      return { content: page.content.map(orgFromRow), totalElements: page.totalElements };
    },
    async hasDevices(id) {
      const { rows } = await pool.query<{ found: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM devices WHERE org_id = $1) AS found',
        [id],
      );
      return rows[0]?.found === true;
    },
  };
}
