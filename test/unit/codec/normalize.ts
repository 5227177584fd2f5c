import type { Packet } from '../../../src/mqtt/codec/packet.js';

/**
 * What the decoder yields, minus mqtt-packet's bookkeeping: `length`, and the header fields
 * (topic/payload null, qos/dup/retain) its Packet class puts on every type. User properties come
 * with a null prototype (safe against "__proto__" keys) and are compared as plain objects.
 */
export function normalize(packet: Packet): Record<string, unknown> {
  const out: Record<string, unknown> = { ...packet };
  delete out.length;
  if (packet.cmd !== 'publish') {
    for (const key of ['topic', 'payload', 'qos', 'dup', 'retain']) delete out[key];
  }
  plainUserProperties(out);
  return out;
}

function plainUserProperties(obj: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(obj)) {
    if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || Array.isArray(value))
      continue;
    const copy = { ...(value as Record<string, unknown>) };
    obj[key] = copy;
    plainUserProperties(copy);
  }
}
