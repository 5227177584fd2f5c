import type Denque from 'denque';
import { BATCH_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_ENVELOPES } from './inbox-batch.js';

/** At most this many envelopes (and bytes, but at least one envelope) per pipeline. */
const MAX_PIPELINE_ENVELOPES = 16_384;
const MAX_PIPELINE_BYTES = 8 * 1024 * 1024;

/** One encoded envelope waiting in the writer's FIFO; `seq` numbers the sends in order. */
export interface PendingAppend {
  readonly key: string;
  readonly data: Buffer;
  readonly seq: number;
}

/** The envelopes of one stream entry (XADD), all for the same inbox, in send order. */
export interface AppendGroup {
  readonly key: string;
  readonly envelopes: Buffer[];
  /** Sum of the envelopes' lengths. */
  bytes: number;
}

export interface AppendPlan {
  /** The first entry of the FIFO the plan covers (to tell whether the FIFO was given up since). */
  readonly first: PendingAppend | undefined;
  /** How many entries of the FIFO's head the plan covers. */
  readonly taken: number;
  /** One stream entry each, ordered by their first envelope: an inbox's entries keep send order. */
  readonly groups: AppendGroup[];
  /** The index in `groups` of each covered FIFO entry, by position. */
  readonly groupOf: number[];
}

/**
 * Groups the head of the FIFO into one entry per destination inbox, starting another entry for
 * that inbox when one is full (MAX_BATCH_ENVELOPES, MAX_BATCH_BYTES).
 */
export function planAppend(queue: Denque<PendingAppend>): AppendPlan {
  const groups: AppendGroup[] = [];
  const groupOf: number[] = [];
  const openGroup = new Map<string, number>();
  let bytes = 0;
  let taken = 0;
  for (; taken < queue.length && taken < MAX_PIPELINE_ENVELOPES; taken++) {
    const entry = queue.peekAt(taken) as PendingAppend;
    if (taken > 0 && bytes + entry.data.length > MAX_PIPELINE_BYTES) break;
    bytes += entry.data.length;
    let index = openGroup.get(entry.key);
    if (index === undefined || !fits(groups[index] as AppendGroup, entry.data)) {
      index = groups.push({ key: entry.key, envelopes: [], bytes: 0 }) - 1;
      openGroup.set(entry.key, index);
    }
    const group = groups[index] as AppendGroup;
    group.envelopes.push(entry.data);
    group.bytes += entry.data.length;
    groupOf.push(index);
  }
  return { first: queue.peekFront(), taken, groups, groupOf };
}

function fits(group: AppendGroup, data: Buffer): boolean {
  const count = group.envelopes.length + 1;
  return (
    count <= MAX_BATCH_ENVELOPES &&
    1 + count * BATCH_OVERHEAD_BYTES + group.bytes + data.length <= MAX_BATCH_BYTES
  );
}
