/**
 * The Device API uplink grammar (spec §3.2, parsed per §3.8): fixed topics, then `event/CODE`,
 * `meta/NAME` and `ds/NAME[/suffix]`. Datastream names never contain `/` (the template refuses
 * them), so the suffix is whatever follows the first level after `ds/`.
 */
export type UplinkTopic =
  | { readonly kind: 'info-mcu' }
  | { readonly kind: 'batch-ds' }
  | { readonly kind: 'get-ds' }
  | { readonly kind: 'get-ds-all' }
  | { readonly kind: 'get-meta' }
  | { readonly kind: 'get-utc' }
  | { readonly kind: 'get-loc' }
  | { readonly kind: 'event'; readonly code: string }
  | { readonly kind: 'meta'; readonly name: string }
  | { readonly kind: 'ds'; readonly name: string }
  | { readonly kind: 'ds-erase'; readonly name: string }
  | { readonly kind: 'ds-batch'; readonly name: string }
  | { readonly kind: 'prop'; readonly name: string; readonly prop: string }
  | { readonly kind: 'prop-erase'; readonly name: string; readonly prop: string };

const FIXED: Readonly<Record<string, UplinkTopic>> = {
  'info/mcu': { kind: 'info-mcu' },
  batch_ds: { kind: 'batch-ds' },
  'get/ds': { kind: 'get-ds' },
  'get/ds/all': { kind: 'get-ds-all' },
  'get/meta': { kind: 'get-meta' },
  'get/utc/all/json': { kind: 'get-utc' },
  'get/loc/all': { kind: 'get-loc' },
};

/** One non-empty level. */
const LEVEL = /^[^/]+$/;

/** `ds/NAME` tails, longest match first (spec §3.8). */
function parseDs(rest: string): UplinkTopic | undefined {
  const slash = rest.indexOf('/');
  const name = slash === -1 ? rest : rest.slice(0, slash);
  if (name === '') return undefined;
  if (slash === -1) return { kind: 'ds', name };
  const tail = rest.slice(slash + 1).split('/');
  if (tail.length === 1 && tail[0] === 'erase') return { kind: 'ds-erase', name };
  if (tail.length === 1 && tail[0] === 'timestamped_batch') return { kind: 'ds-batch', name };
  const prop = tail[1];
  if (tail[0] !== 'prop' || prop === undefined || prop === '') return undefined;
  if (tail.length === 2) return { kind: 'prop', name, prop };
  if (tail.length === 3 && tail[2] === 'erase') return { kind: 'prop-erase', name, prop };
  return undefined;
}

/**
 * The last topic parsed and its result: the fast paths ask `isValueWrite` and then
 * `UplinkService.handle` about the same topic string, so the second call is one comparison.
 * Results are immutable, so sharing one is safe.
 */
let lastTopic: string | undefined;
let lastParsed: UplinkTopic | undefined;

/** Parses a device-relative uplink topic; undefined for anything the Device API does not define. */
export function parseUplinkTopic(topic: string): UplinkTopic | undefined {
  if (topic === lastTopic) return lastParsed;
  const parsed = parseTopic(topic);
  lastTopic = topic;
  lastParsed = parsed;
  return parsed;
}

function parseTopic(topic: string): UplinkTopic | undefined {
  const fixed = FIXED[topic];
  if (fixed !== undefined && Object.hasOwn(FIXED, topic)) return fixed;
  if (topic.startsWith('ds/')) return parseDs(topic.slice(3));
  if (topic.startsWith('event/')) {
    const code = topic.slice(6);
    return LEVEL.test(code) ? { kind: 'event', code } : undefined;
  }
  if (topic.startsWith('meta/')) {
    const name = topic.slice(5);
    return LEVEL.test(name) ? { kind: 'meta', name } : undefined;
  }
  return undefined;
}
