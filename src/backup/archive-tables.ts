/**
 * What the archive holds, entity by entity: each record kind, its fields in archive order, which
 * fields carry JSON values or bytes, and where the SQLite stores keep it. Field names are the
 * backend-neutral camelCase of the stored columns; another backend maps the same kinds and fields
 * onto its own tables. Order matters: a kind only refers to kinds listed before it.
 */
export type Database = 'platform' | 'engine';

export interface TableSpec {
  /** Record kind in the archive. */
  readonly kind: string;
  readonly database: Database;
  readonly table: string;
  /** Stored columns, in archive field order (snake_case; the field is its camelCase). */
  readonly columns: readonly string[];
  /** Columns holding JSON text: archived as JSON values. */
  readonly json?: readonly string[];
  /** Columns holding bytes: archived as base64. */
  readonly bytes?: readonly string[];
  /** A total order on the rows, so the same data always gives the same archive. */
  readonly orderBy: string;
  /** Rows only copied when history is wanted. */
  readonly history?: true;
}

const spec = (
  kind: string,
  database: Database,
  table: string,
  columns: string,
  orderBy: string,
  extra: Pick<TableSpec, 'json' | 'bytes' | 'history'> = {},
): TableSpec => ({ kind, database, table, columns: columns.split(/\s+/).filter(Boolean), orderBy, ...extra });

export const TABLES: readonly TableSpec[] = [
  spec(
    'organization',
    'platform',
    'organizations',
    `id parent_id name name_lower description type is_active tz unit_system phone_number address
     home_region_url created_at last_modified_ts`,
    'id',
    { json: ['address'] },
  ),
  // Console users with their password hashes (scrypt); their sessions are not archived.
  spec('user', 'platform', 'users', 'id org_id email name role password_hash created_at', 'id'),
  spec(
    'oauthClient',
    'platform',
    'oauth_clients',
    'id client_id name org_id redirect_urls secret_hash is_active created_at',
    'id',
    { json: ['redirect_urls'] },
  ),
  spec(
    'accessToken',
    'platform',
    'access_tokens',
    'token_hash client_id org_id expires_at created_at',
    'token_hash',
  ),
  spec(
    'refreshToken',
    'platform',
    'refresh_tokens',
    'token_hash client_id org_id expires_at created_at',
    'token_hash',
  ),
  spec(
    'template',
    'platform',
    'templates',
    `id template_id org_id name description board_type connection_type gateway_enabled
     offline_delay_sec created_at last_modified_ts`,
    'id',
  ),
  spec(
    'datastream',
    'platform',
    'datastreams',
    `id template_id position name alias pin type min max default_value units decimals is_sync is_raw
     enum_values enum_fallback`,
    'id',
    { json: ['default_value', 'enum_values'] },
  ),
  spec(
    'templateEvent',
    'platform',
    'template_events',
    'id template_id position code name type description',
    'id',
  ),
  spec(
    'metaField',
    'platform',
    'meta_fields',
    'id template_id position name type built_in default_value min max options',
    'id',
    { json: ['options'] },
  ),
  spec(
    'device',
    'platform',
    'devices',
    `id name template_id org_id owner_user_id status token_hash token_enc hardware_info activated_at
     first_connect_time connect_time disconnect_time ip created_at last_modified_ts`,
    'id',
    { json: ['hardware_info'], bytes: ['token_enc'] },
  ),
  spec(
    'staticToken',
    'platform',
    'static_tokens',
    'id token_hash token_enc org_id product_id device_id status owner_id claimed_org_id created_at',
    'id',
    { bytes: ['token_enc'] },
  ),
  spec(
    'currentValue',
    'platform',
    'current_values',
    'device_id datastream_id value updated_at',
    'device_id, datastream_id',
    { json: ['value'] },
  ),
  // History rows still in the staging table are archived as history (sqlite-reader.ts).
  spec(
    'history',
    'platform',
    'history',
    'device_id datastream_id ts value',
    'device_id, datastream_id, ts, value',
    {
      json: ['value'],
      history: true,
    },
  ),
  spec(
    'property',
    'platform',
    'properties',
    'device_id datastream_id name value_list',
    'device_id, datastream_id, name',
    { json: ['value_list'] },
  ),
  spec('metaValue', 'platform', 'meta_values', 'device_id meta_field_id value', 'device_id, meta_field_id'),
  spec('deviceEvent', 'platform', 'device_events', 'id device_id event_id code description ts', 'id'),
  spec(
    'firmware',
    'platform',
    'firmware',
    'id org_id name size sha256 md5 version fw_type build blynk_version created_at',
    'id',
  ),
  spec('shipment', 'platform', 'shipments', 'id org_id firmware_id name status created_at', 'id'),
  spec(
    'shipmentDevice',
    'platform',
    'shipment_devices',
    'shipment_id device_id status updated_at downloads',
    'shipment_id, device_id',
  ),
  spec('otaDownload', 'platform', 'ota_downloads', 'device_id at', 'device_id, at'),
  spec(
    'session',
    'engine',
    'sessions',
    'client_id protocol_version expiry_interval disconnected_at subscriptions will identity',
    'client_id',
    { json: ['subscriptions', 'will', 'identity'] },
  ),
  spec(
    'outbound',
    'engine',
    'outbound',
    `client_id seq packet_id state topic payload qos retain properties expires_at created_at
     publisher_id subscription_ids`,
    'client_id, seq',
    { json: ['properties', 'subscription_ids'], bytes: ['payload'] },
  ),
  spec('inboundQos2', 'engine', 'inbound_qos2', 'client_id packet_id', 'client_id, packet_id'),
  spec(
    'retained',
    'engine',
    'retained',
    'topic payload qos retain properties expires_at created_at publisher_id',
    'topic',
    { json: ['properties'], bytes: ['payload'] },
  ),
];

/** `snake_case` column to its archive field name. */
export function fieldName(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
