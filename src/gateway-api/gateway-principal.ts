import { NotFoundError } from '../platform/errors.js';
import { type Device, DeviceStatus, type OAuthClient } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';

/** Who logged in to the Gateway API (spec §2.2, §2.3). */
export type GatewayPrincipal =
  | { readonly kind: 'gateway-device'; readonly device: Device }
  | {
      readonly kind: 'oauth-client';
      readonly client: OAuthClient;
      /** The connection's MQTT client id: each one is its own session (spec §4.2 "Concurrency"). */
      readonly mqttClientId?: string;
    };

/** Statuses that may not act as a gateway (spec §2.3: provisioned / claimed first). */
const NOT_YET_OWNED: ReadonlySet<string> = new Set([DeviceStatus.Pending, DeviceStatus.Unclaimed]);

/**
 * The login's current standing: the org its scope starts from, checked on every publish and
 * subscribe (and periodically), so a disabled or deleted OAuth client, or a gateway device that
 * was deleted, lost its template's gateway flag or moved, takes effect on the live connection.
 * `peek` answers synchronously when nothing it depends on can have changed; `refresh` reads.
 */
export class PrincipalState {
  readonly #platform: Platform;
  readonly #principal: GatewayPrincipal;
  #scopeOrg: number | undefined;
  #pending: Promise<number | undefined> | undefined;
  /** `oauth.clientChanges` when the client was last read (-1: not read since the login). */
  #readAt = -1;
  /** The gateway device as the authentication cache last had it, and `devices.changes()` then. */
  #device: Device | undefined;
  #deviceAt = -1;

  constructor(platform: Platform, principal: GatewayPrincipal) {
    this.#platform = platform;
    this.#principal = principal;
    this.#scopeOrg = principal.kind === 'oauth-client' ? principal.client.orgId : principal.device.orgId;
  }

  /** The last known scope org; undefined once the login lost its right. */
  get scopeOrg(): number | undefined {
    return this.#scopeOrg;
  }

  /**
   * The scope org when it is known without a read, undefined otherwise (then `refresh`). A
   * client: no client changed since it was read, and its org is still in the tree. A gateway
   * device: from the authentication cache (exact: every device change refreshes it; not even
   * looked up while no device changed) and the template cache. Never answers for a login that
   * lost its right: `refresh` says so.
   */
  peek(): number | undefined {
    if (this.#scopeOrg === undefined) return undefined;
    const principal = this.#principal;
    if (principal.kind === 'oauth-client') {
      const { oauth, orgs } = this.#platform;
      const current = oauth.clientChanges === this.#readAt;
      return current && orgs.isInScope(principal.client.orgId, this.#scopeOrg) ? this.#scopeOrg : undefined;
    }
    const device = this.#currentDevice(principal.device.id);
    const org = device === undefined ? undefined : this.#gatewayOrg(device);
    if (org !== undefined) this.#scopeOrg = org;
    return org;
  }

  /** Re-reads the principal (concurrent calls share one read); undefined = revoked for good. */
  refresh(): Promise<number | undefined> {
    if (this.#scopeOrg === undefined) return Promise.resolve(undefined);
    // Noted before the read: a change while it runs makes the next `peek` read again.
    const changes = this.#platform.oauth.clientChanges;
    this.#pending ??= this.#read().then(
      (org) => {
        this.#pending = undefined;
        this.#scopeOrg = org;
        this.#readAt = changes;
        return org;
      },
      (err: unknown) => {
        this.#pending = undefined;
        throw err;
      },
    );
    return this.#pending;
  }

  async #read(): Promise<number | undefined> {
    const principal = this.#principal;
    if (principal.kind === 'oauth-client') {
      const { client } = principal;
      const caller = { orgId: client.orgId, actor: `oauth:${client.clientId}` };
      const current = await this.#platform.oauth.getClient(caller, client.id).catch(notFoundAsUndefined);
      return current?.isActive === true ? current.orgId : undefined;
    }
    const device = await this.#platform.devices.byId(principal.device.id);
    return device === undefined ? undefined : this.#gatewayOrg(device);
  }

  #currentDevice(deviceId: number): Device | undefined {
    const devices = this.#platform.devices;
    const changes = devices.changes();
    if (this.#deviceAt === changes) return this.#device;
    const device = devices.peekById(deviceId);
    // Not cached is not remembered: the cache may learn it without any device changing.
    if (device !== undefined) {
      this.#device = device;
      this.#deviceAt = changes;
    }
    return device;
  }

  /** spec §2.3: the device's org while it may act as a gateway; undefined when it may not. */
  #gatewayOrg(device: Device): number | undefined {
    if (NOT_YET_OWNED.has(device.status)) return undefined;
    const template = this.#platform.templates.byId(device.templateId);
    return template?.gatewayEnabled === true ? device.orgId : undefined;
  }
}

/** A deleted client reads as NotFoundError; any other failure is a real error. */
function notFoundAsUndefined(err: unknown): undefined {
  if (err instanceof NotFoundError) return undefined;
  throw err;
}
