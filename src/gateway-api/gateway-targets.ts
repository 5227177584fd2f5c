import type { Broker } from '../broker/broker.js';
import type { UplinkTarget } from '../device-api/types.js';
import type { Logger } from '../observability/logger.js';
import type { Device } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';
import type { BookEntry, DeviceBook } from './device-book.js';
import type { PrincipalState } from './gateway-principal.js';

export interface TargetAccessDeps {
  readonly platform: Platform;
  readonly broker: Broker;
  readonly logger: Logger;
  readonly principal: PrincipalState;
  readonly book: DeviceBook;
  /** This connection's session key (subscriptions are removed from it). */
  readonly sessionKey: () => string;
}

/**
 * The gateway scope rule (spec §2.2/§2.3, §4.1, §9 "Gateway scope"): a target device is reachable
 * while its org is the login's scope org or a descendant, checked against the current org tree,
 * the device's current org and the login's current standing on every publish, subscribe and
 * delivery.
 */
export class TargetAccess {
  readonly #deps: TargetAccessDeps;
  /** Tokens whose background re-check is running (bounded by the book's size). */
  readonly #rechecking = new Set<string>();

  constructor(deps: TargetAccessDeps) {
    this.#deps = deps;
  }

  /**
   * The device a token names if it is in scope; undefined otherwise. Unknown, out-of-scope,
   * deleted and malformed tokens take the same path (one lookup, one scope check) and give the
   * same undefined, so neither the answer nor its cost tells them apart (spec §4.2).
   * Throws RevokedError when the login itself lost its right.
   */
  async resolve(token: string): Promise<UplinkTarget | undefined> {
    const principal = this.#deps.principal;
    // The login is read again only when something it depends on may have changed (see peek).
    const scopeOrg = principal.peek() ?? (await principal.refresh());
    if (scopeOrg === undefined) throw new RevokedError();
    return this.#target(scopeOrg, await this.#deps.platform.devices.authenticateToken(token));
  }

  /**
   * `resolve` without a read, for a token this login may use: the in-scope target when the
   * login's standing and the token's device are both known synchronously (authentication cache,
   * org tree, template cache). Undefined otherwise, whatever the reason: the caller then takes
   * `resolve`, the one path unknown, out-of-scope and malformed tokens all take. `known` is the
   * book's entry for the token, if any: its target saves hashing the token (see `#device`) and
   * is noted there again once found current.
   */
  peek(token: string, known: BookEntry | undefined): UplinkTarget | undefined {
    const scopeOrg = this.#deps.principal.peek();
    if (scopeOrg === undefined) return undefined;
    const changes = this.#deps.platform.devices.changes();
    const target = this.#target(scopeOrg, this.#device(token, known, changes), known?.target);
    if (target !== undefined && known?.deviceId === target.device.id) {
      known.target = target;
      known.checkedAt = changes;
    }
    return target;
  }

  /**
   * The device `token` names now, from the authentication cache. The book's snapshot when no
   * device changed since it was found current (`changes`), or when the cache still holds that
   * very object for its device: every change to a device (token rotated, device deleted or
   * moved, static token deleted) drops or replaces the cached object, and an object is cached
   * for one token only (token-cache.ts). Otherwise by the token's hash, like any token.
   */
  #device(token: string, known: BookEntry | undefined, changes: number): Device | undefined {
    const noted = known?.target?.device;
    if (known !== undefined && noted !== undefined) {
      if (known.checkedAt === changes) return noted;
      if (this.#deps.platform.devices.peekById(noted.id) === noted) {
        known.checkedAt = changes;
        return noted;
      }
    }
    return this.#deps.platform.devices.peekToken(token);
  }

  /**
   * The device as this login's target: in scope and with its template; undefined otherwise.
   * `last`, when it holds the same device snapshot and template, is returned as is (no allocation).
   */
  #target(scopeOrg: number, device: Device | undefined, last?: UplinkTarget): UplinkTarget | undefined {
    const { templates, orgs } = this.#deps.platform;
    const template = device === undefined ? undefined : templates.byId(device.templateId);
    if (device === undefined || template === undefined || !orgs.isInScope(scopeOrg, device.orgId))
      return undefined;
    return last?.device === device && last.template === template ? last : { device, template };
  }

  /**
   * Synchronous per-delivery check for `dev/{token}/downlink/…` (toWireTopic). From the
   * authentication cache: a device moved out of scope stops at once and its subscriptions go;
   * a token missing from the cache (rotated, deleted, evicted) fails closed for this copy and is
   * re-checked in the background.
   */
  mayDeliver(token: string, deviceId: number): boolean {
    const device = this.#device(token, this.#deps.book.find(token), this.#deps.platform.devices.changes());
    if (device?.id !== deviceId) {
      this.recheck(token, deviceId);
      return false;
    }
    if (this.#inScope(device.orgId)) return true;
    queueMicrotask(() => this.revoke(token, deviceId));
    return false;
  }

  /** Drops everything this connection holds for `token`: subscriptions and book entry. */
  revoke(token: string, deviceId: number): void {
    const filters = this.#deps.book.revoke(token);
    const key = this.#deps.sessionKey();
    for (const filter of filters) this.#deps.broker.unsubscribeKey(key, filter);
    if (filters.length > 0)
      this.#deps.logger.info({ deviceId, subscriptions: filters.length }, 'gateway lost access to device');
  }

  #inScope(orgId: number): boolean {
    const scopeOrg = this.#deps.principal.scopeOrg;
    return scopeOrg !== undefined && this.#deps.platform.orgs.isInScope(scopeOrg, orgId);
  }

  /** Warms the cache for a token and drops its subscriptions if it is no longer reachable. */
  recheck(token: string, deviceId: number): void {
    if (this.#rechecking.has(token)) return;
    this.#rechecking.add(token);
    this.#deps.platform.devices
      .authenticateToken(token)
      .then((device) => {
        if (device?.id !== deviceId || !this.#inScope(device.orgId)) this.revoke(token, deviceId);
      })
      .catch((err: unknown) => this.#deps.logger.error({ err, deviceId }, 'gateway target re-check failed'))
      .finally(() => this.#rechecking.delete(token));
  }
}

/** The gateway login itself lost its right (client disabled/deleted, gateway device changed). */
export class RevokedError extends Error {
  constructor() {
    super('gateway login no longer authorized');
    this.name = 'RevokedError';
  }
}
