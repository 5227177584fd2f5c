/**
 * The internal namespace of the device and gateway APIs (architecture: mount/unmount). Every
 * device's topics live under `$dev/{deviceId}/…`, keyed by id, never by token; `$` keeps them out
 * of reach of plain `#` subscriptions [MQTT-4.7.2-1].
 */
const PREFIX = '$dev/';

/** `downlink/ds/Power` of device 7 → `$dev/7/downlink/ds/Power`. */
export function deviceTopic(deviceId: number, relative: string): string {
  return `${PREFIX}${deviceId}/${relative}`;
}

/** The inverse of deviceTopic: `{deviceId, relative}`, or undefined for any other topic. */
export function parseDeviceTopic(internal: string): { deviceId: number; relative: string } | undefined {
  if (!internal.startsWith(PREFIX)) return undefined;
  const slash = internal.indexOf('/', PREFIX.length);
  if (slash === -1) return undefined;
  const id = internal.slice(PREFIX.length, slash);
  if (!/^[1-9]\d*$/.test(id)) return undefined;
  return { deviceId: Number(id), relative: internal.slice(slash + 1) };
}

/** Session key of a device's own connection (and of `mgmt_device` logins): one live connection per token. */
export function deviceSessionKey(deviceId: number): string {
  return `device:${deviceId}`;
}
