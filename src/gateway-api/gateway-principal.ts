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
 * The login's current standing: the org its scope starts from, read again on every publish and
 * subscribe (and periodically), so a disabled or deleted OAuth client, or a gateway device that
 * was deleted, lost its template's gateway flag or moved, takes effect on the live connection.
 */
export class PrincipalState {
  readonly #platform: Platform;
  readonly #principal: GatewayPrincipal;
  #scopeOrg: number | undefined;
  #pending: Promise<number | undefined> | undefined;

  constructor(platform: Platform, principal: GatewayPrincipal) {
    this.#platform = platform;
    this.#principal = principal;
    this.#scopeOrg = principal.kind === 'oauth-client' ? principal.client.orgId : principal.device.orgId;
  }

  /** The last known scope org; undefined once the login lost its right. */
  get scopeOrg(): number | undefined {
    return this.#scopeOrg;
  }

  /** Re-reads the principal (concurrent calls share one read); undefined = revoked for good. */
  refresh(): Promise<number | undefined> {
    if (this.#scopeOrg === undefined) return Promise.resolve(undefined);
    this.#pending ??= this.#read().then(
      (org) => {
        this.#pending = undefined;
        this.#scopeOrg = org;
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
    if (device === undefined || NOT_YET_OWNED.has(device.status)) return undefined;
    const template = this.#platform.templates.byId(device.templateId);
    return template?.gatewayEnabled === true ? device.orgId : undefined;
  }
}

/** A deleted client reads as NotFoundError; any other failure is a real error. */
function notFoundAsUndefined(err: unknown): undefined {
  if (err instanceof NotFoundError) return undefined;
  throw err;
}
