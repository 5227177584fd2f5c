import { type DatastreamValue, EventType } from '../model.js';
import type { DeviceChange } from './device-feed.js';

/**
 * What the feed relay sends between the nodes of a cluster (one JSON text per message, on one
 * pub/sub channel). Compact arrays, device ids only: no token, no name, nothing secret.
 * - `changes`: device changes accepted by `node`, in the order they were accepted.
 * - `watch` / `unwatch`: `node` started / stopped watching these devices (a live stream opened).
 * - `beat`: `node` is there and watches exactly `devices` (replaces what was known; also the
 *   answer to `hello`).
 * - `online`: part `part` of `node`'s devices online now; the set replaces what was known once the
 *   `last` part of the same `round` arrived.
 * - `hello`: `node` (re)joined the channel and knows nothing: everyone sends `beat` and `online`.
 * - `bye`: `node` leaves: forget what it watches and holds.
 */
export type RelayMessage =
  | { readonly type: 'changes'; readonly node: string; readonly changes: readonly RelayedChange[] }
  | {
      readonly type: 'watch' | 'unwatch' | 'beat';
      readonly node: string;
      readonly devices: readonly number[];
    }
  | {
      readonly type: 'online';
      readonly node: string;
      readonly round: number;
      readonly last: boolean;
      readonly devices: readonly number[];
    }
  | { readonly type: 'hello' | 'bye'; readonly node: string };

export interface RelayedChange {
  readonly deviceId: number;
  readonly change: DeviceChange;
}

/** Longest message accepted (a larger one is ignored as malformed): far above what a node sends. */
export const MAX_MESSAGE_CHARS = 4 * 1024 * 1024;

const KIND_CODES = { watch: 'w', unwatch: 'u', beat: 'b', hello: 'h', bye: 'y' } as const;

const EVENT_TYPES = new Set<string>(Object.values(EventType));

export function encodeRelayMessage(message: RelayMessage): string {
  switch (message.type) {
    case 'changes':
      return JSON.stringify({ n: message.node, k: 'c', c: message.changes.map(encodeChange) });
    case 'watch':
    case 'unwatch':
    case 'beat':
      return JSON.stringify({ n: message.node, k: KIND_CODES[message.type], d: message.devices });
    case 'online':
      return JSON.stringify({
        n: message.node,
        k: 'o',
        r: message.round,
        l: message.last ? 1 : 0,
        d: message.devices,
      });
    case 'hello':
    case 'bye':
      return JSON.stringify({ n: message.node, k: KIND_CODES[message.type] });
  }
}

function encodeChange({ deviceId, change }: RelayedChange): unknown[] {
  switch (change.kind) {
    case 'value':
      return [deviceId, 'v', change.dataStreamId, change.value, change.ts];
    case 'online':
      return [deviceId, 'o', change.connected ? 1 : 0, change.at];
    case 'event': {
      const { id, eventId, code, description, ts } = change.record;
      const encoded: unknown[] = [deviceId, 'e', id, eventId, code, description, ts];
      if (change.type !== undefined) encoded.push(change.type);
      return encoded;
    }
  }
}

const LIST_KINDS: Readonly<Record<string, 'watch' | 'unwatch' | 'beat'>> = {
  w: 'watch',
  u: 'unwatch',
  b: 'beat',
};

/** The message in `text`, or undefined when it is not one (never throws). */
export function decodeRelayMessage(text: string): RelayMessage | undefined {
  if (text.length > MAX_MESSAGE_CHARS) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(raw) || typeof raw.n !== 'string' || raw.n === '') return undefined;
  const node = raw.n;
  switch (raw.k) {
    case 'c': {
      if (!Array.isArray(raw.c)) return undefined;
      const changes: RelayedChange[] = [];
      for (const item of raw.c) {
        const change = decodeChange(item);
        if (change === undefined) return undefined;
        changes.push(change);
      }
      return { type: 'changes', node, changes };
    }
    case 'w':
    case 'u':
    case 'b': {
      const devices = deviceIds(raw.d);
      return devices === undefined ? undefined : { type: LIST_KINDS[raw.k] as 'watch', node, devices };
    }
    case 'o': {
      const devices = deviceIds(raw.d);
      if (devices === undefined || !Number.isSafeInteger(raw.r) || (raw.l !== 0 && raw.l !== 1))
        return undefined;
      return { type: 'online', node, round: raw.r as number, last: raw.l === 1, devices };
    }
    case 'h':
      return { type: 'hello', node };
    case 'y':
      return { type: 'bye', node };
    default:
      return undefined;
  }
}

function decodeChange(item: unknown): RelayedChange | undefined {
  if (!Array.isArray(item) || !isId(item[0])) return undefined;
  const deviceId = item[0];
  switch (item[1]) {
    case 'v': {
      const [, , dataStreamId, value, ts] = item as unknown[];
      if (item.length !== 5 || !isId(dataStreamId) || !isTime(ts) || !isValue(value)) return undefined;
      return { deviceId, change: { kind: 'value', dataStreamId, value, ts } };
    }
    case 'o': {
      const [, , connected, at] = item as unknown[];
      if (item.length !== 4 || (connected !== 0 && connected !== 1) || !isTime(at)) return undefined;
      return { deviceId, change: { kind: 'online', connected: connected === 1, at } };
    }
    case 'e': {
      const [, , id, eventId, code, description, ts, type] = item as unknown[];
      const typed = item.length === 8 && typeof type === 'string' && EVENT_TYPES.has(type);
      if ((item.length !== 7 && !typed) || !isId(id) || !isId(eventId) || !isTime(ts)) return undefined;
      if (typeof code !== 'string' || typeof description !== 'string') return undefined;
      const record = { id, deviceId, eventId, code, description, ts };
      return typed
        ? { deviceId, change: { kind: 'event', record, type: type as EventType } }
        : { deviceId, change: { kind: 'event', record } };
    }
    default:
      return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isValue(value: unknown): value is DatastreamValue {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return Array.isArray(value) && value.length === 2 && value.every((n) => isTime(n));
}

function deviceIds(value: unknown): number[] | undefined {
  return Array.isArray(value) && value.every(isId) ? (value as number[]) : undefined;
}
