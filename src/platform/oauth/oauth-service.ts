import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { UnauthorizedError, ValidationError } from '../errors.js';
import type { OAuthClient } from '../model.js';
import { orgNotFound } from '../orgs/org-validation.js';
import { pageBounds } from '../orgs/paging.js';
import type { PlatformDeps } from '../platform.js';
import type {
  Caller,
  IssuedTokens,
  OAuthClientInput,
  OAuthService,
  OrgService,
  PageRequest,
} from '../services.js';
import type { OAuthStore, StoredOAuthClient } from './oauth-store.js';
import { clientNotFound, validateClientName, validateRedirectUrls } from './oauth-validation.js';
import { dummySecretHash, hashSecret, randomUrlSafe, sha256Hex, verifySecret } from './secret-hash.js';
import { BEARER_CACHE_MAX, BEARER_CACHE_TTL_MS, VerifyCache } from './verify-cache.js';

/** spec §2.2: client ids are recognised by this prefix. */
export const CLIENT_ID_PREFIX = 'oa2-client-id_';
/** 24 bytes → 32 URL-safe chars after the prefix. */
const CLIENT_ID_BYTES = 24;
/** 30 bytes → a 40-char secret (spec §2.2 example shape). */
const SECRET_BYTES = 30;
/** 32 bytes → 43-char access and refresh tokens. */
const TOKEN_BYTES = 32;
const TOKEN_LENGTH = 43;
/** Longer inputs are not ours; refused without hashing megabytes. */
const CREDENTIAL_MAX = 256;
/** Expired tokens are removed at most this often, when tokens are issued. */
export const TOKEN_PRUNE_INTERVAL_MS = 60_000;

const INVALID_CLIENT = 'Client ID is not found or password is wrong.';
const INVALID_GRANT = 'Refresh token is invalid, expired or already used.';

function publicView(client: StoredOAuthClient): OAuthClient {
  const { secretHash: _hash, ...rest } = client;
  return rest;
}

/** OAuth clients and tokens (spec §5.8, §6.3) on `store`. */
export function createOAuthService(deps: PlatformDeps, orgs: OrgService, store: OAuthStore): OAuthService {
  return new StoredOAuthService(store, orgs, deps);
}

/**
 * Secrets are shown once and kept as scrypt hashes; tokens are kept as sha256 hashes. Every method
 * taking a Caller stays inside the caller's org subtree.
 */
class StoredOAuthService implements OAuthService {
  readonly #store: OAuthStore;
  readonly #orgs: OrgService;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #accessTtlSec: number;
  readonly #refreshTtlSec: number;
  readonly #cache: VerifyCache;
  /**
   * Bearer tokens found valid, for a few seconds: a Platform API request then costs no store read.
   * Disabling or deleting the client here drops its entries at once (another process sharing
   * the database drops them within BEARER_CACHE_TTL_MS).
   */
  readonly #bearers: VerifyCache<Caller>;
  /** Checked against for unknown client ids, so they cost one scrypt like known ones. */
  readonly #dummyHash = dummySecretHash();
  #lastPrune = Number.NEGATIVE_INFINITY;
  #clientChanges = 0;

  constructor(store: OAuthStore, orgs: OrgService, deps: PlatformDeps) {
    this.#store = store;
    this.#orgs = orgs;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#accessTtlSec = deps.options.accessTokenTtlSec;
    this.#refreshTtlSec = deps.options.refreshTokenTtlSec;
    this.#cache = new VerifyCache(() => this.#clock.now());
    this.#bearers = new VerifyCache<Caller>(() => this.#clock.now(), BEARER_CACHE_MAX, BEARER_CACHE_TTL_MS);
  }

  get clientChanges(): number {
    return this.#clientChanges;
  }

  async createClient(caller: Caller, input: OAuthClientInput) {
    const orgId = input.orgId ?? caller.orgId;
    if (!this.#orgs.isInScope(caller.orgId, orgId)) throw orgNotFound(orgId);
    return this.#newClient(orgId, input, caller.actor);
  }

  async createSystemClient(orgId: number, name: string) {
    if (this.#orgs.ancestry(orgId).length === 0) throw orgNotFound(orgId);
    return this.#newClient(orgId, { name }, 'system');
  }

  async getClient(caller: Caller, id: number): Promise<OAuthClient> {
    return publicView(await this.#inScope(caller, id));
  }

  async listClients(caller: Caller, page?: PageRequest) {
    const orgIds = this.#orgs.subtree(caller.orgId);
    const found = await this.#store.listClients({ orgIds, ...pageBounds(page) });
    return { content: found.content.map(publicView), totalElements: found.totalElements };
  }

  async setClientActive(caller: Caller, id: number, isActive: boolean): Promise<OAuthClient> {
    if (typeof isActive !== 'boolean')
      throw new ValidationError('OAuth client isActive must be true or false.');
    const client = await this.#inScope(caller, id);
    const updated = await this.#store.setClientActive(id, isActive);
    this.#clientChanges++;
    if (updated === undefined) throw clientNotFound(id);
    if (!isActive) {
      this.#cache.invalidate(client.clientId);
      this.#bearers.invalidate(client.clientId);
    }
    this.#logger.info({ oauthClientId: id, isActive, actor: caller.actor }, 'OAuth client updated');
    return publicView(updated);
  }

  async deleteClient(caller: Caller, id: number): Promise<void> {
    const client = await this.#inScope(caller, id);
    await this.#store.deleteClient(id);
    this.#clientChanges++;
    this.#cache.invalidate(client.clientId);
    this.#bearers.invalidate(client.clientId);
    this.#logger.info({ oauthClientId: id, actor: caller.actor }, 'OAuth client deleted');
  }

  async verifyClient(clientId: string, secret: string): Promise<OAuthClient | undefined> {
    const plausible = typeof clientId === 'string' && typeof secret === 'string';
    if (!plausible || clientId.length > CREDENTIAL_MAX || secret.length > CREDENTIAL_MAX) {
      await verifySecret('', this.#dummyHash);
      return undefined;
    }
    const key = VerifyCache.key(clientId, secret);
    const cached = this.#cache.get(key);
    const client = await this.#store.getClientByClientId(clientId);
    // A hit counts only while the client still has the secret hash that was checked.
    if (cached !== undefined && client?.secretHash === cached.value) return publicView(client);
    const matches = await verifySecret(secret, client?.secretHash ?? this.#dummyHash);
    if (client === undefined || !matches) return undefined;
    this.#cache.set(key, clientId, client.secretHash);
    return publicView(client);
  }

  async issueTokens(client: OAuthClient): Promise<IssuedTokens> {
    return this.#issue(await this.#active(client));
  }

  async refreshTokens(client: OAuthClient, refreshToken: string): Promise<IssuedTokens> {
    const current = await this.#active(client);
    if (typeof refreshToken !== 'string' || refreshToken.length !== TOKEN_LENGTH) {
      throw new UnauthorizedError(INVALID_GRANT);
    }
    // Consumed before anything else: a refresh token works once, even if this call fails later.
    const consumed = await this.#store.consumeRefreshToken(sha256Hex(refreshToken), current.id);
    if (consumed === undefined || consumed.expiresAt <= this.#clock.now())
      throw new UnauthorizedError(INVALID_GRANT);
    return this.#issue(current);
  }

  async authenticateBearer(accessToken: string): Promise<Caller | undefined> {
    if (typeof accessToken !== 'string' || accessToken.length !== TOKEN_LENGTH) return undefined;
    const hash = sha256Hex(accessToken);
    const cached = this.#bearers.get(hash);
    // An org deleted meanwhile took its clients with it (the tree knows at once; the cache may not).
    if (cached !== undefined && this.#orgs.ancestry(cached.value.orgId).length > 0) return cached.value;
    const found = await this.#store.findAccessToken(hash);
    const now = this.#clock.now();
    if (found === undefined || found.expiresAt <= now || !found.client.isActive) return undefined;
    const caller: Caller = {
      orgId: found.client.orgId,
      actor: `oauth:${found.client.clientId}`,
      role: 'admin',
    };
    this.#bearers.set(hash, found.client.clientId, caller, found.expiresAt - now);
    return caller;
  }

  async #newClient(orgId: number, input: OAuthClientInput, actor: string) {
    const name = validateClientName(input.name);
    const redirectUrls = validateRedirectUrls(input.redirectUrls);
    const secret = randomUrlSafe(SECRET_BYTES);
    const stored = await this.#store.insertClient({
      clientId: CLIENT_ID_PREFIX + randomUrlSafe(CLIENT_ID_BYTES),
      name,
      orgId,
      redirectUrls,
      isActive: true,
      createdAt: this.#clock.now(),
      secretHash: await hashSecret(secret),
    });
    this.#logger.info({ oauthClientId: stored.id, orgId, actor }, 'OAuth client created');
    return { client: publicView(stored), secret };
  }

  async #inScope(caller: Caller, id: number): Promise<StoredOAuthClient> {
    const client = Number.isSafeInteger(id) ? await this.#store.getClient(id) : undefined;
    if (client === undefined || !this.#orgs.isInScope(caller.orgId, client.orgId)) throw clientNotFound(id);
    return client;
  }

  /** The client as stored now: the object handed in may be stale (disabled or deleted since). */
  async #active(client: OAuthClient): Promise<StoredOAuthClient> {
    const current = await this.#store.getClient(client.id);
    if (current === undefined || current.clientId !== client.clientId)
      throw new UnauthorizedError(INVALID_CLIENT);
    if (!current.isActive) throw new UnauthorizedError('Client is disabled.');
    return current;
  }

  async #issue(client: StoredOAuthClient): Promise<IssuedTokens> {
    const now = this.#clock.now();
    if (now - this.#lastPrune >= TOKEN_PRUNE_INTERVAL_MS) {
      this.#lastPrune = now;
      await this.#store.pruneExpiredTokens(now);
    }
    const access = randomUrlSafe(TOKEN_BYTES);
    const refresh = randomUrlSafe(TOKEN_BYTES);
    await this.#store.insertTokens({
      clientId: client.id,
      orgId: client.orgId,
      accessHash: sha256Hex(access),
      accessExpiresAt: now + this.#accessTtlSec * 1000,
      refreshHash: sha256Hex(refresh),
      refreshExpiresAt: now + this.#refreshTtlSec * 1000,
      createdAt: now,
    });
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: this.#accessTtlSec,
      refresh_token: refresh,
    };
  }
}
