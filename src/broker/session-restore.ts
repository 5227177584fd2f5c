import { parseSharedFilter } from '../mqtt/topic/shared.js';
import type { Broker } from './broker.js';
import type { FilterSeal } from './filter-seal.js';
import type { LoadedSession, PersistedSubscription } from './store-ports.js';
import type { Subscription } from './subscription.js';

/** What restoring found about sealed filters (logged by the broker). */
export interface RestoreReport {
  /** Sealed subscriptions that could not be unsealed (secret revoked, no seal configured). */
  readonly dropped: number;
  /** Sessions whose rows held a secret in clear text (an older devgate): written again, sealed. */
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
    resealed: unsealed.filter((u) => u.clearText).length,
  };
}

interface Unsealed {
  readonly subscriptions: readonly Subscription[];
  readonly dropped: number;
  /** The row held a secret in clear text (an older devgate wrote it). */
  readonly clearText: boolean;
}

async function unsealAll(
  stored: readonly PersistedSubscription[],
  seal: FilterSeal | undefined,
): Promise<Unsealed> {
  const subscriptions: Subscription[] = [];
  let clearText = false;
  for (const persisted of stored) {
    const sealed = persisted.sealed === true ? persisted : sealClearText(persisted, seal);
    clearText ||= sealed !== persisted;
    const sub = await toSubscription(sealed, seal);
    if (sub !== undefined) subscriptions.push(sub);
  }
  return { subscriptions, dropped: stored.length - subscriptions.length, clearText };
}

/**
 * A row an older devgate stored with the secret in its wire filter, in the sealed form it has
 * now (then kept only while the secret is still valid, like any sealed one); others as they are.
 */
function sealClearText(
  persisted: PersistedSubscription,
  seal: FilterSeal | undefined,
): PersistedSubscription {
  if (persisted.matchFilter === undefined || seal === undefined) return persisted;
  const filter = seal.seal(persisted.filter, persisted.matchFilter);
  return filter === undefined ? persisted : { ...persisted, filter, sealed: true };
}

function rebuild(broker: Broker, loaded: LoadedSession, unsealed: Unsealed, now: number): void {
  const { session: stored, outbound, inboundQoS2 } = loaded;
  const expiry = Math.min(stored.expiryInterval, broker.limits.maxSessionExpiryInterval);
  const session = broker.createSession(stored.clientId, stored.protocolVersion, expiry);
  session.disconnectedAt = stored.disconnectedAt ?? now;
  if (stored.identity !== undefined) session.identity = stored.identity;
  broker.claimSession(session);
  for (const sub of unsealed.subscriptions) broker.subscribe(session, sub);
  for (const entry of outbound) session.restore(entry, entry.subscriptionIds);
  for (const id of inboundQoS2) session.inboundQoS2.add(id);
  const will = stored.will;
  if (will?.whileConnectedDelay !== undefined)
    broker.wills.lostWithNode(session, will.message, will.whileConnectedDelay);
  else if (will !== undefined) broker.wills.setPending(session, will.message, will.dueAt);
  // Written again without what was dropped, and sealed where it held a secret in clear text.
  if (unsealed.dropped > 0 || unsealed.clearText) session.saveState();
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
  const shared = matchFilter === undefined ? parseSharedFilter(persisted.filter) : null;
  return {
    ...rest,
    topicFilter: matchFilter ?? (shared === null ? persisted.filter : shared.filter),
    ...(shared === null ? {} : { shareName: shared.shareName }),
  };
}
