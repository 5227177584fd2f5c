import { parseSharedFilter } from '../mqtt/topic/shared.js';
import type { LoadedSession, PersistedSubscription } from '../store/types.js';
import type { Broker } from './broker.js';
import type { FilterSeal } from './filter-seal.js';
import type { Subscription } from './subscription.js';

/** What restoring found about sealed filters (logged by the broker). */
export interface RestoreReport {
  /** Sealed subscriptions that could not be unsealed (secret revoked, no seal configured). */
  readonly dropped: number;
  /** Sessions whose rows held a secret in clear text (older devgate): written again, sealed. */
  readonly resealed: number;
}

/**
 * Rebuilds sessions loaded from the store after a restart. A session that was connected when the
 * server stopped counts as disconnected at start-up; expired ones are ended (publishing a due will).
 * Sealed subscriptions are unsealed through `seal` (or dropped); clear-text ones that `seal` would
 * have sealed (an older devgate's rows) go the same way, and their session row is rewritten.
 */
export async function restoreSessions(
  broker: Broker,
  loaded: readonly LoadedSession[],
  seal: FilterSeal | undefined,
): Promise<RestoreReport> {
  // Unsealing reads the platform: done for every session before any of them is registered.
  const unsealed: Unsealed[] = [];
  for (const { session } of loaded) unsealed.push(await unsealAll(session.subscriptions, seal));
  const now = broker.clock.now();
  loaded.forEach((item, i) => {
    rebuild(broker, item, unsealed[i]!, now);
  });
  return {
    dropped: unsealed.reduce((sum, u) => sum + u.dropped, 0),
    resealed: unsealed.filter((u) => u.rewrite).length,
  };
}

interface Unsealed {
  readonly subscriptions: readonly Subscription[];
  readonly dropped: number;
  /** The row must be written again: a clear secret to seal, or a subscription dropped. */
  readonly rewrite: boolean;
}

async function unsealAll(
  stored: readonly PersistedSubscription[],
  seal: FilterSeal | undefined,
): Promise<Unsealed> {
  const subscriptions: Subscription[] = [];
  let rewrite = false;
  for (const persisted of stored) {
    const sub = await toSubscription(persisted, seal);
    if (sub !== undefined) subscriptions.push(sub);
    rewrite ||= sub === undefined || (persisted.sealed !== true && sub.storedFilter !== undefined);
  }
  return { subscriptions, dropped: stored.length - subscriptions.length, rewrite };
}

function rebuild(broker: Broker, loaded: LoadedSession, unsealed: Unsealed, now: number): void {
  const { session: stored, outbound, inboundQoS2 } = loaded;
  const expiry = Math.min(stored.expiryInterval, broker.limits.maxSessionExpiryInterval);
  const session = broker.createSession(stored.clientId, stored.protocolVersion, expiry);
  session.disconnectedAt = stored.disconnectedAt ?? now;
  if (stored.identity !== undefined) session.identity = stored.identity;
  for (const sub of unsealed.subscriptions) broker.subscribe(session, sub);
  for (const entry of outbound) session.restore(entry, entry.subscriptionIds);
  for (const id of inboundQoS2) session.inboundQoS2.add(id);
  if (stored.will !== undefined) broker.wills.setPending(session, stored.will.message, stored.will.dueAt);
  if (unsealed.rewrite) session.saveState();
  const remaining = session.disconnectedAt + expiry * 1000 - now;
  if (expiry !== 0xffffffff && remaining <= 0) broker.endSession(session);
  else broker.armExpiry(session, remaining);
}

/** The live subscription for a stored one; undefined when a sealed filter cannot be recovered. */
async function toSubscription(
  persisted: PersistedSubscription,
  seal: FilterSeal | undefined,
): Promise<Subscription | undefined> {
  const { matchFilter, sealed, ...rest } = persisted;
  if (sealed === true) {
    if (matchFilter === undefined || seal === undefined) return undefined;
    const wire = await seal.unseal(persisted.filter, matchFilter);
    if (wire === undefined) return undefined;
    return { ...rest, filter: wire, topicFilter: matchFilter, storedFilter: persisted.filter };
  }
  if (matchFilter !== undefined && seal !== undefined) {
    // Stored in clear text by an older devgate: kept (sealed) only while its secret is still valid.
    const sealedForm = seal.seal(persisted.filter, matchFilter);
    if (sealedForm !== undefined)
      return toSubscription({ ...persisted, filter: sealedForm, sealed: true }, seal);
  }
  const shared = matchFilter === undefined ? parseSharedFilter(persisted.filter) : null;
  return {
    ...rest,
    topicFilter: matchFilter ?? (shared === null ? persisted.filter : shared.filter),
    ...(shared === null ? {} : { shareName: shared.shareName }),
  };
}
