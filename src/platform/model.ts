/**
 * The platform's entities (spec §5). Shapes follow the Platform API field names where the spec
 * documents them, so HTTP handlers can return them with little mapping.
 */

export const OrgType = {
  Root: 'ROOT',
  Business: 'BUSINESS',
  Personal: 'PERSONAL',
  Branch: 'BRANCH',
  Distributor: 'DISTRIBUTOR',
  Contractor: 'CONTRACTOR',
  Installer: 'INSTALLER',
  Reseller: 'RESELLER',
} as const;
export type OrgType = (typeof OrgType)[keyof typeof OrgType];

export interface Address {
  readonly fullAddress?: string;
  readonly city?: string;
  readonly country?: string;
  readonly state?: string;
  readonly zip?: string;
}

/** spec §5.1 */
export interface Organization {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly type: OrgType;
  /** null for the root organization. */
  readonly parentOrganizationId: number | null;
  readonly isActive: boolean;
  /** IANA time zone, e.g. `Europe/Kyiv`. */
  readonly tz: string;
  readonly unitSystem: 'METRIC' | 'IMPERIAL';
  readonly phoneNumber?: string;
  readonly address?: Address;
  /** Base URL of the region this org's devices belong to (device API redirect, spec §2.5); absent = here. */
  readonly homeRegionUrl?: string;
  readonly createdAt: number;
  readonly lastModifiedTs: number;
}

export const DatastreamType = {
  Integer: 'Integer',
  Double: 'Double',
  String: 'String',
  Enum: 'Enum',
  Location: 'Location',
  Boolean: 'Boolean',
} as const;
export type DatastreamType = (typeof DatastreamType)[keyof typeof DatastreamType];

/** A typed datastream value: numbers for Integer/Double/Enum, `[lon, lat]` for Location. */
export type DatastreamValue = number | string | boolean | readonly [number, number];

/** One row of an Enum datastream's mapping: the integer the device sends and its label. */
export interface EnumEntry {
  readonly value: number;
  readonly label: string;
}

/** spec §5.3. Names are unique in the template and never contain `/ + # ,` or NUL (§3.8). */
export interface Datastream {
  readonly id: number;
  readonly name: string;
  readonly alias?: string;
  /** Virtual pin number (`v{pin}` in the HTTP API). Unique in the template. */
  readonly pin: number;
  readonly type: DatastreamType;
  readonly min?: number;
  readonly max?: number;
  readonly defaultValue?: DatastreamValue;
  readonly units?: string;
  readonly decimals?: number;
  /** "Sync with latest server value": answered by `get/ds/all`. */
  readonly isSync: boolean;
  /** "Save raw data": every value kept in history (otherwise history keeps it too; see retention). */
  readonly isRaw: boolean;
  readonly enumValues?: readonly EnumEntry[];
  /** Enum fallback: the integer used when a device sends one that is not mapped. */
  readonly enumFallback?: number;
}

export const EventType = {
  Information: 'INFORMATION',
  Warning: 'WARNING',
  Critical: 'CRITICAL',
  Content: 'CONTENT',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** spec §5.6 */
export interface TemplateEvent {
  readonly id: number;
  /** letters, digits, spaces, underscores; ≤ 50; unique in the template */
  readonly code: string;
  readonly name: string;
  readonly type: EventType;
  readonly description: string;
}

/** Built-in metadata field types every template has, plus the custom ones (spec §5.5). */
export const MetaFieldType = {
  DeviceName: 'DeviceName',
  DeviceOwner: 'DeviceOwner',
  Location: 'Location',
  TimeZone: 'TimeZone',
  HotspotName: 'HotspotName',
  Text: 'Text',
  Number: 'Number',
  Contact: 'Contact',
  Switch: 'Switch',
  List: 'List',
  Table: 'Table',
  Imei: 'IMEI',
  Iccid: 'ICCID',
  Email: 'Email',
  Coordinates: 'Coordinates',
} as const;
export type MetaFieldType = (typeof MetaFieldType)[keyof typeof MetaFieldType];

export interface MetaField {
  readonly id: number;
  readonly name: string;
  readonly type: MetaFieldType;
  /** One of the five built-ins (Device Name, Device Owner, Location, Time Zone, Hotspot Name). */
  readonly builtIn: boolean;
  readonly defaultValue?: string;
  readonly min?: number;
  readonly max?: number;
  /** Allowed values of a List field. */
  readonly options?: readonly string[];
}

/** spec §5.2 */
export interface Template {
  readonly id: number;
  /** `TMPL` + 8-10 alphanumerics. */
  readonly templateId: string;
  readonly orgId: number;
  readonly name: string;
  readonly description: string;
  readonly boardType: string;
  readonly connectionType: string;
  /** "Enable for Gateway API" (spec §2.3). */
  readonly gatewayEnabled: boolean;
  /** Connection lifecycle: seconds from disconnect to Offline (default 60, spec §5.10). */
  readonly offlineDelaySec: number;
  readonly datastreams: readonly Datastream[];
  readonly events: readonly TemplateEvent[];
  readonly metaFields: readonly MetaField[];
  readonly createdAt: number;
  readonly lastModifiedTs: number;
}

/** How a device got its token and where it is in its lifecycle (spec §5.9). */
export const DeviceStatus = {
  /** Created manually (console/API/CLI); token usable at once. */
  Created: 'CREATED',
  /** Dynamic provisioning token issued; activated by the first `info/mcu` or HTTP provision call. */
  Pending: 'PENDING',
  /** Dynamic provisioning completed. */
  Activated: 'ACTIVATED',
  /** Static-token device not yet claimed: may connect, sits in the token's org. */
  Unclaimed: 'UNCLAIMED',
  /** Static-token device claimed into an org. */
  Claimed: 'CLAIMED',
} as const;
export type DeviceStatus = (typeof DeviceStatus)[keyof typeof DeviceStatus];

/** `info/mcu` / provisioning data (spec §3.4 mapped to Platform `hardwareInfo`). */
export interface HardwareInfo {
  readonly version?: string;
  readonly fwType?: string;
  readonly blynkVersion?: string;
  readonly boardType?: string;
  readonly build?: string;
  readonly templateId?: string;
  readonly rxbuff?: number;
}

/** spec §5.4 (token is never part of this object; see DeviceService.revealToken). */
export interface Device {
  readonly id: number;
  readonly name: string;
  /** numeric template id */
  readonly templateId: number;
  readonly orgId: number;
  readonly ownerUserId: number | null;
  readonly status: DeviceStatus;
  readonly hardwareInfo?: HardwareInfo;
  readonly activatedAt?: number;
  readonly firstConnectTime?: number;
  readonly connectTime?: number;
  readonly disconnectTime?: number;
  readonly ip?: string;
  readonly createdAt: number;
  readonly lastModifiedTs: number;
}

/** Current value of one datastream of one device. */
export interface DatastreamCurrentValue {
  readonly dataStreamId: number;
  readonly value: DatastreamValue;
  readonly updatedAt: number;
}

export interface HistoryPoint {
  readonly ts: number;
  readonly value: DatastreamValue;
}

export interface DeviceEventRecord {
  readonly id: number;
  readonly deviceId: number;
  readonly eventId: number;
  readonly code: string;
  readonly description: string;
  readonly ts: number;
}

/** spec §5.8. The secret is stored hashed and shown once. */
export interface OAuthClient {
  readonly id: number;
  /** `oa2-client-id_` + random */
  readonly clientId: string;
  readonly name: string;
  /** Creation org = scope (this org and its descendants). */
  readonly orgId: number;
  readonly redirectUrls: readonly string[];
  readonly isActive: boolean;
  readonly createdAt: number;
}

/** spec §5.9 static token. */
export interface StaticToken {
  readonly id: number;
  /** QR token `sqr_…`; the QR content is `{token}+{orgId}`. */
  readonly token: string;
  readonly orgId: number;
  /** numeric template id */
  readonly productId: number;
  readonly deviceId: number;
  readonly status: 'CLAIMED' | 'UNCLAIMED';
  readonly ownerId: number | null;
  readonly claimedOrgId: number | null;
  readonly createdAt: number;
}

/** Page of results as the Platform API returns them (`{content, totalElements}`). */
export interface Page<T> {
  readonly content: readonly T[];
  readonly totalElements: number;
}

/** A person's role in an organization's subtree (console users; an OAuth client acts as `admin`). */
export type Role = 'admin' | 'staff' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'staff', 'viewer'];

/** A console user: one membership (`orgId`, `role`); never carries the password hash. */
export interface User {
  readonly id: number;
  readonly email: string;
  readonly name: string;
  readonly orgId: number;
  readonly role: Role;
  readonly createdAt: number;
}
