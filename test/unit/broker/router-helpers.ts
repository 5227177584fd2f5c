/** Shared by the router tests (not a test file itself). */
import type { Delivery } from '../../../src/broker/router.js';
import type { Subscription } from '../../../src/broker/subscription.js';
import type { QoS } from '../../../src/mqtt/codec/packet.js';
import { parseSharedFilter } from '../../../src/mqtt/topic/shared.js';

/** A subscription from a wire filter (`$share/…` parsed) and options. */
export function sub(
  filter: string,
  qos: QoS = 1,
  options: { nl?: boolean; rap?: boolean; id?: number | undefined } = {},
): Subscription {
  const shared = parseSharedFilter(filter);
  return {
    filter,
    topicFilter: shared === null ? filter : shared.filter,
    ...(shared === null ? {} : { shareName: shared.shareName }),
    qos,
    noLocal: options.nl ?? false,
    retainAsPublished: options.rap ?? false,
    retainHandling: 0,
    ...(options.id === undefined ? {} : { subscriptionId: options.id }),
  };
}

export type Row = [clientId: string, qos: QoS, rap: boolean, ids: number[] | undefined];

/** Deliveries as sorted rows (subscription ids sorted): order-independent comparison. */
export const rows = (ds: readonly Delivery[]): Row[] =>
  ds
    .map(
      (d): Row => [
        d.clientId,
        d.qos,
        d.retainAsPublished,
        d.subscriptionIds && [...d.subscriptionIds].sort((x, y) => x - y),
      ],
    )
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

export const online = (): boolean => true;
