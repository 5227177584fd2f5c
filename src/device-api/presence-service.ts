import type { Clock, Timer } from '../lib/clock.js';
import type { Logger } from '../observability/logger.js';
import type { Platform } from '../platform/platform.js';
import { PresenceWriter } from './presence-writer.js';
import type { PresenceService } from './types.js';

/** Used when the device or its template can no longer be found (spec §5.10 default). */
const DEFAULT_DELAY_SEC = 60;

interface State {
  /** Direct connections (device / mgmt_device) open now; normally 0 or 1 (takeover overlaps). */
  connections: number;
  /** When the last data or disconnect happened: the offline delay counts from here. */
  lastActivity: number;
  timer?: Timer;
  /** Offline delay in ms, resolved from the template when first needed. */
  delayMs?: number;
}

export interface PresenceDeps {
  readonly platform: Platform;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * In a cluster: true when the device's session is now held by another node (it reconnected
   * there), whose presence is then the one that counts: this node writes no Offline for it.
   */
  readonly heldElsewhere?: (deviceId: number) => Promise<boolean>;
}

/**
 * Online/offline (spec §1.4, §5.10): Online on connect or data; after the last connection ends
 * (the engine already waited 1.5 × keepalive for a silent one), Offline follows once the
 * template's offline delay passed without a reconnect or data. One entry per online device; it
 * goes when the device goes offline.
 */
export function createPresenceService(deps: PresenceDeps): PresenceService & { close(): void } {
  const { platform, clock, logger } = deps;
  const states = new Map<number, State>();
  let closed = false;

  const writer = new PresenceWriter(platform, logger);
  const record = (deviceId: number, connected: boolean, at: number, ip?: string): void => {
    if (connected) writer.connected(deviceId, at, ip);
    else writer.disconnected(deviceId, at);
  };

  const delayOf = async (deviceId: number): Promise<number> => {
    const device = await platform.devices.byId(deviceId).catch(() => undefined);
    const template = device === undefined ? undefined : platform.templates.byId(device.templateId);
    return (template?.offlineDelaySec ?? DEFAULT_DELAY_SEC) * 1000;
  };

  /** Checks the state when its timer fires: offline, or re-armed for the rest of the delay. */
  const expire = (deviceId: number, state: State): void => {
    state.timer = undefined;
    if (closed || states.get(deviceId) !== state || state.connections > 0) return;
    const due = state.lastActivity + (state.delayMs ?? 0);
    if (clock.now() < due) {
      state.timer = clock.schedule(due - clock.now(), () => expire(deviceId, state));
      return;
    }
    states.delete(deviceId);
    const heldElsewhere = deps.heldElsewhere;
    if (heldElsewhere === undefined) {
      record(deviceId, false, state.lastActivity);
      return;
    }
    heldElsewhere(deviceId).then(
      (elsewhere) => {
        if (!elsewhere && !states.has(deviceId) && !closed) record(deviceId, false, state.lastActivity);
      },
      (err: unknown) =>
        logger.warn({ err, deviceId }, 'presence: the cluster could not say where a device is'),
    );
  };

  const arm = (deviceId: number, state: State): void => {
    if (state.timer !== undefined || state.connections > 0 || closed) return;
    if (state.delayMs !== undefined) {
      state.timer = clock.schedule(state.delayMs, () => expire(deviceId, state));
      return;
    }
    delayOf(deviceId).then(
      (ms) => {
        state.delayMs = ms;
        if (states.get(deviceId) === state) arm(deviceId, state);
      },
      () => undefined,
    );
  };

  const added = (deviceId: number): State => {
    const state: State = { connections: 0, lastActivity: clock.now() };
    states.set(deviceId, state);
    return state;
  };

  return {
    connected(deviceId, ip) {
      const state = states.get(deviceId) ?? added(deviceId);
      state.connections++;
      state.lastActivity = clock.now();
      state.timer?.cancel();
      state.timer = undefined;
      record(deviceId, true, state.lastActivity, ip);
    },
    disconnected(deviceId) {
      const state = states.get(deviceId);
      if (state === undefined) return;
      state.connections = Math.max(0, state.connections - 1);
      state.lastActivity = clock.now();
      arm(deviceId, state);
    },
    // Once per uplink through a gateway: a known device costs one lookup and no allocation.
    seen(deviceId) {
      let state = states.get(deviceId);
      if (state === undefined) {
        state = added(deviceId);
        record(deviceId, true, state.lastActivity);
      } else {
        state.lastActivity = clock.now();
      }
      arm(deviceId, state);
    },
    isOnline: (deviceId) => states.has(deviceId),
    onlineCount: () => states.size,
    close() {
      closed = true;
      writer.close();
      for (const state of states.values()) state.timer?.cancel();
      states.clear();
    },
  };
}
