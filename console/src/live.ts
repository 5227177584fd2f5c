import { useEffect, useRef } from 'preact/hooks';
import { actingOrg } from './api.js';
import type { DataStreamValue, DeviceEvent } from './types.js';

// The device's push channel (GET …/device/live, text/event-stream). Read with fetch rather than
// EventSource: EventSource cannot send the X-Devgate-Org header the contract asks for.

export interface LiveHandlers {
  snapshot(values: DataStreamValue[], connected: boolean | undefined): void;
  value(value: DataStreamValue): void;
  online(connected: boolean, at: number): void;
  event(event: DeviceEvent): void;
  status(state: 'connecting' | 'live' | 'reconnecting'): void;
}

interface SseMessage {
  event: string;
  data: string;
}

/** Splits a text/event-stream into messages (comments such as `: ping` are skipped). */
export function parseSse(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) messages.push({ event, data: data.join('\n') });
  }
  return { messages, rest };
}

function dispatch(message: SseMessage, handlers: LiveHandlers): void {
  const data = JSON.parse(message.data) as unknown;
  switch (message.event) {
    case 'snapshot': {
      // `[values]` or `{values, connected}`: the contract names both parts of the first message.
      if (Array.isArray(data)) handlers.snapshot(data as DataStreamValue[], undefined);
      else {
        const s = data as { values?: DataStreamValue[]; connected?: boolean };
        handlers.snapshot(s.values ?? [], s.connected);
      }
      break;
    }
    case 'value':
      handlers.value(data as DataStreamValue);
      break;
    case 'online': {
      const o = data as { connected: boolean; at: number };
      handlers.online(o.connected, o.at);
      break;
    }
    case 'event':
      handlers.event(data as DeviceEvent);
      break;
    default:
      // `overflow` (the stream fell behind and is closed) and anything newer: the reconnect follows.
      break;
  }
}

const RETRY_MS = [1000, 2000, 5000, 10000];

async function readStream(url: string, signal: AbortSignal, handlers: LiveHandlers): Promise<void> {
  const orgId = actingOrg();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (orgId !== undefined) headers['x-devgate-org'] = String(orgId);
  const response = await fetch(url, { headers, signal, credentials: 'same-origin' });
  if (!response.ok || response.body === null) throw new Error(`live stream answered ${response.status}`);
  handlers.status('live');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const parsed = parseSse(buffer + value);
    buffer = parsed.rest;
    // A stream that never ends a message is bounded here, not in memory forever.
    if (buffer.length > 1_000_000) throw new Error('live stream message too large');
    for (const message of parsed.messages) dispatch(message, handlers);
  }
}

/** Follows the device's live stream while mounted, reconnecting with a growing pause. */
export function useLive(deviceId: number, handlers: LiveHandlers): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    const abort = new AbortController();
    const proxy: LiveHandlers = {
      snapshot: (v, c) => latest.current.snapshot(v, c),
      value: (v) => latest.current.value(v),
      online: (c, at) => latest.current.online(c, at),
      event: (e) => latest.current.event(e),
      status: (s) => latest.current.status(s),
    };
    const run = async () => {
      let attempt = 0;
      proxy.status('connecting');
      while (!abort.signal.aborted) {
        const startedAt = Date.now();
        try {
          await readStream(`/api/v1/organization/device/live?deviceId=${deviceId}`, abort.signal, proxy);
        } catch {
          // Network error, 5xx or overflow: try again below.
        }
        if (abort.signal.aborted) return;
        proxy.status('reconnecting');
        attempt = Date.now() - startedAt > 30_000 ? 0 : attempt + 1;
        const pause = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)] ?? 10000;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    };
    void run();
    return () => abort.abort();
  }, [deviceId]);
}
