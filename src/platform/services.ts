import type {
  Address,
  Datastream,
  DatastreamCurrentValue,
  DatastreamValue,
  Device,
  DeviceEventRecord,
  EventType,
  HardwareInfo,
  HistoryPoint,
  MetaField,
  OAuthClient,
  Organization,
  OrgType,
  Page,
  Role,
  StaticToken,
  Template,
  TemplateEvent,
} from './model.js';

/**
 * Who is asking. Every service call made on behalf of a credential carries one; the scope is
 * `orgId` and all its descendants (spec §2.2/§5.1). A resource outside the scope is reported as
 * NotFoundError, exactly like a missing one.
 */
export interface Caller {
  readonly orgId: number;
  /** For logs and audit: `oauth:<clientId>`, `user:<id>`, `cli`, `system`. Never a secret. */
  readonly actor: string;
  /**
   * What the caller may do in its scope (decision 0024). Every HTTP caller has one (an OAuth client
   * is `admin` of its org); absent only for the process itself (CLI offline, start-up, device API),
   * which counts as `admin`.
   */
  readonly role?: Role;
  /** The console user behind a session; absent for OAuth clients and the process itself. */
  readonly userId?: number;
}

export interface PageRequest {
  /** 0-based */
  readonly page?: number;
  /** default 50, max 1000 (spec §6.4) */
  readonly size?: number;
}

// ── Organizations ───────────────────────────────────────────────────────────

export interface OrgInput {
  readonly name: string;
  readonly description?: string;
  readonly type?: OrgType;
  readonly tz?: string;
  readonly unitSystem?: 'METRIC' | 'IMPERIAL';
  readonly phoneNumber?: string;
  readonly address?: Address;
  readonly homeRegionUrl?: string;
}

export interface OrgService {
  /** Creates the root organization (first start). ConflictError if one exists. */
  createRoot(input: OrgInput): Promise<Organization>;
  /** The root organization, if created. */
  root(): Promise<Organization | undefined>;
  /** Creates a sub-organization; parent defaults to the caller's org and must be in scope; depth limit applies. */
  create(caller: Caller, input: OrgInput & { readonly parentOrganizationId?: number }): Promise<Organization>;
  get(caller: Caller, orgId: number): Promise<Organization>;
  /** The caller's organization and its descendants, ordered by id. */
  list(caller: Caller, page?: PageRequest): Promise<Page<Organization>>;
  /** Case-insensitive substring search on name within the scope. */
  search(caller: Caller, query: string, page?: PageRequest): Promise<Page<Organization>>;
  /** `parentOrganizationId` moves the org (new parent in scope, no cycle, depth limit, type rules). */
  update(
    caller: Caller,
    orgId: number,
    patch: Partial<OrgInput> & { readonly isActive?: boolean; readonly parentOrganizationId?: number },
  ): Promise<Organization>;
  /** Refuses the caller's own org, the root, and any org with sub-orgs or devices (spec §5.1). */
  delete(caller: Caller, orgId: number): Promise<void>;
  /**
   * THE scoping rule: true when `orgId` is `scopeOrgId` or one of its descendants. Synchronous
   * (served from an in-memory copy of the tree, refreshed on every org change) because the MQTT
   * gateway calls it on every publish.
   */
  isInScope(scopeOrgId: number, orgId: number): boolean;
  /** `orgId` and all its descendants. */
  subtree(orgId: number): readonly number[];
  /** Path from the root down to `orgId` (inclusive); empty when unknown. */
  ancestry(orgId: number): readonly number[];
}

// ── OAuth clients and tokens ────────────────────────────────────────────────

export interface OAuthClientInput {
  readonly name: string;
  /** defaults to the caller's org; must be in scope */
  readonly orgId?: number;
  readonly redirectUrls?: readonly string[];
}

export interface IssuedTokens {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token: string;
}

export interface OAuthService {
  /** Returns the client and its secret; the secret is stored hashed and never shown again. */
  createClient(caller: Caller, input: OAuthClientInput): Promise<{ client: OAuthClient; secret: string }>;
  /** First start: an admin client in the root org, without a caller. */
  createSystemClient(orgId: number, name: string): Promise<{ client: OAuthClient; secret: string }>;
  getClient(caller: Caller, id: number): Promise<OAuthClient>;
  listClients(caller: Caller, page?: PageRequest): Promise<Page<OAuthClient>>;
  setClientActive(caller: Caller, id: number, isActive: boolean): Promise<OAuthClient>;
  deleteClient(caller: Caller, id: number): Promise<void>;
  /**
   * Counts client changes (enabled, disabled, deleted), bumped once each change is stored: a
   * holder of a client read (a gateway login) reads it again only when this moved since.
   */
  readonly clientChanges: number;
  /**
   * Checks a client id + secret (constant time; same cost for unknown ids). Returns the client
   * when the secret matches, whether or not it is active; undefined otherwise.
   */
  verifyClient(clientId: string, secret: string): Promise<OAuthClient | undefined>;
  /** client_credentials grant; UnauthorizedError for an inactive client. */
  issueTokens(client: OAuthClient): Promise<IssuedTokens>;
  /** refresh_token grant: single use; the old refresh token stops working. */
  refreshTokens(client: OAuthClient, refreshToken: string): Promise<IssuedTokens>;
  /** Resolves a bearer access token to its caller; undefined when unknown, expired, or the client is inactive/deleted. */
  authenticateBearer(accessToken: string): Promise<Caller | undefined>;
}

// ── Templates ───────────────────────────────────────────────────────────────

export type DatastreamInput = Omit<Datastream, 'id'> & { readonly id?: number };
export type TemplateEventInput = {
  readonly id?: number;
  readonly code: string;
  readonly name?: string;
  readonly type?: EventType;
  readonly description?: string;
};
export type MetaFieldInput = Omit<MetaField, 'id' | 'builtIn'> & { readonly id?: number };

export interface TemplateInput {
  readonly name: string;
  /** defaults to the caller's org; must be in scope */
  readonly orgId?: number;
  /** `TMPL…`; generated when absent */
  readonly templateId?: string;
  readonly description?: string;
  readonly boardType?: string;
  readonly connectionType?: string;
  readonly gatewayEnabled?: boolean;
  readonly offlineDelaySec?: number;
  readonly datastreams?: readonly DatastreamInput[];
  readonly events?: readonly TemplateEventInput[];
  /** custom fields; the five built-ins are always added */
  readonly metaFields?: readonly MetaFieldInput[];
}

export interface TemplateService {
  create(caller: Caller, input: TemplateInput): Promise<Template>;
  /** By numeric id or `TMPL…` id. Visible: templates of the caller's subtree and of its ancestors (inherited). */
  get(caller: Caller, id: number | string): Promise<Template>;
  list(caller: Caller, page?: PageRequest): Promise<Page<Template>>;
  /** Replaces the given fields; datastreams/events/metaFields given as full lists (ids keep identity). */
  update(caller: Caller, id: number | string, patch: Partial<TemplateInput>): Promise<Template>;
  /** ConflictError while devices use it. */
  delete(caller: Caller, id: number | string): Promise<void>;
  /** Internal lookup for the device/gateway APIs (cached; no scope check). */
  byId(id: number): Template | undefined;
  byTemplateId(templateId: string): Template | undefined;
}

// ── Devices ─────────────────────────────────────────────────────────────────

export interface DeviceInput {
  /** numeric id or `TMPL…` */
  readonly templateId: number | string;
  readonly name: string;
  /** defaults to the caller's org; must be in scope; the template must be visible from it */
  readonly orgId?: number;
  readonly ownerUserId?: number | null;
}

export interface ValueWrite {
  readonly dataStreamId: number;
  readonly value: DatastreamValue;
  /** epoch ms; defaults to now */
  readonly ts?: number;
}

export interface DeviceService {
  /** Creates a device and its token (32 URL-safe chars from a CSPRNG); the token is returned once here. */
  create(caller: Caller, input: DeviceInput): Promise<{ device: Device; token: string }>;
  get(caller: Caller, deviceId: number): Promise<Device>;
  list(
    caller: Caller,
    query: { orgId?: number; includeSubOrgDevices?: boolean } & PageRequest,
  ): Promise<Page<Device>>;
  search(caller: Caller, query: string, page?: PageRequest): Promise<Page<Device>>;
  update(
    caller: Caller,
    deviceId: number,
    patch: { readonly name?: string; readonly ownerUserId?: number | null },
  ): Promise<Device>;
  delete(caller: Caller, deviceId: number): Promise<void>;
  /** Moves a device to another org in the caller's scope; the target must see the device's template. */
  transfer(caller: Caller, deviceId: number, newOrgId: number): Promise<Device>;
  /** The device's token, for an authorized caller (explicit request). */
  revealToken(caller: Caller, deviceId: number): Promise<string>;
  /** New token; the old one stops working at once. */
  rotateToken(caller: Caller, deviceId: number): Promise<string>;

  /** Dynamic provisioning (spec §5.9): a fresh PENDING device + token for a template and org. */
  createProvisioningToken(caller: Caller, input: DeviceInput): Promise<{ device: Device; token: string }>;
  /** Completes dynamic provisioning (first authenticated `info/mcu` or HTTP provision); no-op for others. */
  activate(deviceId: number, hardwareInfo: HardwareInfo): Promise<Device>;
  /** Records hardware info (`info/mcu`). */
  setHardwareInfo(deviceId: number, hardwareInfo: HardwareInfo): Promise<void>;
  /** Connection bookkeeping (presence is the device API's job; this stores the times). */
  recordConnection(deviceId: number, event: { connected: boolean; at: number; ip?: string }): Promise<void>;

  /** Static tokens: `count` UNCLAIMED devices with a QR token each, in the caller's org (or `orgId`). */
  generateStaticTokens(
    caller: Caller,
    input: { templateId: number | string; orgId?: number; count: number },
  ): Promise<Array<{ staticToken: StaticToken; deviceToken: string }>>;
  listStaticTokens(caller: Caller, query: { orgId?: number } & PageRequest): Promise<Page<StaticToken>>;
  /** Claims by QR token into `orgId` (default caller's org); ConflictError if already claimed. */
  claimStaticToken(
    caller: Caller,
    qrToken: string,
    input?: { orgId?: number; name?: string; ownerUserId?: number },
  ): Promise<Device>;
  /** Deletes a static token; its device token stops working; a claimed device is deleted. */
  deleteStaticToken(caller: Caller, id: number): Promise<void>;

  /**
   * Token → device, for MQTT/HTTP device authentication. Looked up by hash; cached. Undefined for
   * unknown tokens. Constant-time with respect to which part of a token is wrong.
   */
  authenticateToken(token: string): Promise<Device | undefined>;
  /**
   * The device's token when its current token hashes to `tokenHash` (the lookup hash); undefined
   * once it was rotated or the device deleted. Lets the engine keep a hash where a token was sent
   * (a gateway's `dev/{token}/…` subscription) and show the token again only while it is valid.
   */
  currentToken(deviceId: number, tokenHash: string): Promise<string | undefined>;
  /**
   * Synchronous token → device from the authentication cache only (no store read): undefined when
   * the token is unknown, rotated, deleted or simply not cached. Lets the gateway API re-check a
   * target's current org on every delivery (spec §9 "Gateway scope").
   */
  peekToken(token: string): Device | undefined;
  /** Internal lookup (no scope); served from the authentication cache when the device is in it. */
  byId(deviceId: number): Promise<Device | undefined>;
  /**
   * Synchronous `byId` from the authentication cache only (no store read): the device as it is
   * now when cached (every change to a device refreshes or drops its entry), undefined when not
   * cached (then ask `byId`). The device API's per-uplink lookup.
   */
  peekById(deviceId: number): Device | undefined;
  /**
   * Counts device changes (any device changed, deleted, or its token rotated or withdrawn; the
   * authentication cache then refreshes or drops it). While it has not moved, a device the cache
   * answered is still current and its token still names it: a gateway re-checks nothing.
   */
  changes(): number;

  /** Stores values as current values and in history (already validated/clamped by the caller). */
  writeValues(deviceId: number, values: readonly ValueWrite[]): Promise<void>;
  /** Clears the current value (`ds/NAME/erase`); history stays. */
  eraseValue(deviceId: number, dataStreamId: number): Promise<void>;
  /**
   * Erases the device's data (Platform API `device/clear`): current values, history, widget
   * properties and the event log. Metadata, name and token stay.
   */
  clearData(caller: Caller, deviceId: number): Promise<void>;
  currentValues(deviceId: number): Promise<readonly DatastreamCurrentValue[]>;
  history(
    caller: Caller,
    deviceId: number,
    query: { dataStreamId: number; from?: number; to?: number } & PageRequest,
  ): Promise<Page<HistoryPoint>>;
  /** Deletes history older than the retention period; returns rows removed. */
  pruneHistory(now: number): Promise<number>;

  /** Widget properties per datastream (spec §5.7); an empty list erases the property. */
  setProperty(deviceId: number, dataStreamId: number, name: string, values: readonly string[]): Promise<void>;
  properties(
    deviceId: number,
  ): Promise<ReadonlyArray<{ dataStreamId: number; name: string; values: readonly string[] }>>;
  /** Metadata values (spec §5.5); unset fields read as the field's default. */
  setMetaValue(deviceId: number, metaFieldId: number, value: string): Promise<void>;
  metaValues(deviceId: number): Promise<ReadonlyArray<{ metaFieldId: number; value: string }>>;
  /** Event log (spec §5.6). */
  logEvent(deviceId: number, eventId: number, description: string, ts?: number): Promise<DeviceEventRecord>;
  events(
    caller: Caller,
    deviceId: number,
    query: { from?: number; to?: number } & PageRequest,
  ): Promise<Page<DeviceEventRecord>>;
}

export type { DatastreamCurrentValue, TemplateEvent };
