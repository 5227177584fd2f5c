import { redactTopic } from '../mqtt/topic/redact.js';

/**
 * The `downlink/diag` texts (spec §3.4, §8 #1): short, human-readable, one line. Kept together
 * so docs/device-api.md and the tests can list them. Secrets (tokens) never appear in them.
 */

/** Quotes a name, value or topic for a diag: `dev/{token}/` redacted, shortened so a diag stays short. */
export function quoted(text: string, max = 64): string {
  const redacted = redactTopic(text);
  const shown = redacted.length > max ? `${redacted.slice(0, max)}…` : redacted;
  return JSON.stringify(shown);
}

export const diagText = {
  unknownTopic: (topic: string) => `Unknown topic ${quoted(topic)}`,
  unknownDatastream: (name: string) => `Unknown datastream ${quoted(name)}`,
  unknownEvent: (code: string) => `Unknown event ${quoted(code)}`,
  unknownMeta: (name: string) => `Unknown metadata ${quoted(name)}`,
  metaNotWritable: (name: string) => `Metadata ${quoted(name)} is not writable by devices`,
  metaNotReadable: (name: string) => `Metadata ${quoted(name)} is not readable by devices`,
  badMetaValue: (name: string) => `Invalid value for metadata ${quoted(name)}`,
  unknownProperty: (prop: string) => `Unknown property ${quoted(prop)}`,
  badProperty: (prop: string, reason: string) => `Property ${quoted(prop)}: ${reason}`,
  badJson: (topic: string) => `Invalid JSON in ${quoted(topic)}`,
  batchNotObject: () => 'batch_ds expects a JSON object {"name": value, …}',
  timestampedNotArray: () => 'timestamped_batch expects a JSON array [[ts_ms, value], …]',
  pointsOutsideWindow: (count: number) => `${count} point(s) outside the ±1 month window dropped`,
  badPoints: (count: number) => `${count} malformed point(s) dropped`,
  eventTooLong: (max: number) => `Event description longer than ${max} characters`,
  templateMismatch: (tmpl: string) => `Template ID ${quoted(tmpl)} does not match this device's template`,
  badInfo: () => 'info/mcu expects a JSON object {"tmpl", "ver", "build", "type", "rxbuff"}',
  noLocation: () => 'No location set for this device',
  subscriptionNotAllowed: (filter: string) => `Subscription to ${quoted(filter)} not allowed`,
  wildcardNotSupported: (filter: string) =>
    `Subscription to ${quoted(filter)} not allowed: "+" wildcards are not supported`,
  eventsPerDay: (max: number) => `Event limit reached: at most ${max} events per device per day`,
  eventTooSoon: (code: string, ms: number) =>
    `Event ${quoted(code)} refused: at most one every ${ms / 1000} s for the same code`,
  importPerDay: (dropped: number, max: number) =>
    `Daily import limit reached: ${dropped} point(s) dropped (at most ${max} per device per day)`,
  rateLimit: () => 'Rate limit exceeded',
  flood: () => 'Flooding: disconnecting',
  redirected: () => 'This device belongs to another region: reconnect to the redirect URI',
  deviceGone: () => 'Device no longer exists',
} as const;
