import type { Address, Organization, OrgType } from '../model.js';
import type { NewOrganization } from './org-store.js';

/**
 * The organizations row (same columns on SQLite and PostgreSQL) and its mapping to the model,
 * shared by both backends. `is_active` is 0/1 on SQLite and a boolean on PostgreSQL.
 */
export interface OrgRow {
  id: number;
  parent_id: number | null;
  name: string;
  description: string;
  type: string;
  is_active: number | boolean;
  tz: string;
  unit_system: string;
  phone_number: string | null;
  address: string | null;
  home_region_url: string | null;
  created_at: number;
  last_modified_ts: number;
}

export const ORG_COLUMNS = `id, parent_id, name, description, type, is_active, tz, unit_system, phone_number,
  address, home_region_url, created_at, last_modified_ts`;

export function orgFromRow(row: OrgRow): Organization {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    type: row.type as OrgType,
    parentOrganizationId: row.parent_id,
    isActive: row.is_active === true || row.is_active === 1,
    tz: row.tz,
    unitSystem: row.unit_system as Organization['unitSystem'],
    ...(row.phone_number === null ? {} : { phoneNumber: row.phone_number }),
    ...(row.address === null ? {} : { address: JSON.parse(row.address) as Address }),
    ...(row.home_region_url === null ? {} : { homeRegionUrl: row.home_region_url }),
    createdAt: row.created_at,
    lastModifiedTs: row.last_modified_ts,
  };
}

/** Column values of an org (all but id); `is_active` as a boolean. */
export function orgColumnValues(org: NewOrganization) {
  return {
    parent_id: org.parentOrganizationId,
    name: org.name,
    // JS toLowerCase(), not the database's lower(): the search is case-insensitive beyond ASCII alike.
    name_lower: org.name.toLowerCase(),
    description: org.description,
    type: org.type,
    is_active: org.isActive,
    tz: org.tz,
    unit_system: org.unitSystem,
    phone_number: org.phoneNumber ?? null,
    address: org.address === undefined ? null : JSON.stringify(org.address),
    home_region_url: org.homeRegionUrl ?? null,
    created_at: org.createdAt,
    last_modified_ts: org.lastModifiedTs,
  };
}
