import { parseSharedFilter } from '../mqtt/topic/shared.js';
import type { LoadedSession } from '../store/types.js';
import type { Broker } from './broker.js';
import type { Subscription } from './subscription.js';

/**
 * Rebuilds sessions loaded from the store after a restart. A session that was connected when the
 * server stopped counts as disconnected at start-up; expired ones are ended (publishing a due will).
 */
export function restoreSessions(broker: Broker, loaded: readonly LoadedSession[]): void {
  const now = broker.clock.now();
  for (const { session: stored, outbound, inboundQoS2 } of loaded) {
    const expiry = Math.min(stored.expiryInterval, broker.limits.maxSessionExpiryInterval);
    const session = broker.createSession(stored.clientId, stored.protocolVersion, expiry);
    session.disconnectedAt = stored.disconnectedAt ?? now;
    if (stored.identity !== undefined) session.identity = stored.identity;
    broker.claimSession(session);
    for (const persisted of stored.subscriptions) {
      const { matchFilter, ...rest } = persisted;
      const shared = matchFilter === undefined ? parseSharedFilter(persisted.filter) : null;
      const sub: Subscription = {
        ...rest,
        topicFilter: matchFilter ?? (shared === null ? persisted.filter : shared.filter),
        ...(shared === null ? {} : { shareName: shared.shareName }),
      };
      broker.subscribe(session, sub);
    }
    for (const entry of outbound) session.restore(entry, entry.subscriptionIds);
    for (const id of inboundQoS2) session.inboundQoS2.add(id);
    if (stored.will !== undefined) broker.wills.setPending(session, stored.will.message, stored.will.dueAt);
    const remaining = session.disconnectedAt + expiry * 1000 - now;
    if (expiry !== 0xffffffff && remaining <= 0) broker.endSession(session);
    else broker.armExpiry(session, remaining);
  }
}
