/**
 * Device tokens travel in gateway topics (`dev/{token}/…`, spec §4.1) and are secrets: any topic
 * that goes into a reason string, a `downlink/diag` text or a log line passes through here first.
 * `$dev/{id}/…` (internal topics: a device id, not a secret) is left as it is.
 */
const TOKEN_LEVEL = /(?<![\w$])dev\/(?!\{token\})[^/\s'"]+/g; // `dev/{token}/…` in help texts stays

/** The level after every `dev` level becomes `***`, in a bare topic or in any text quoting one. */
export function redactTopic(text: string): string {
  return text.includes('dev/') ? text.replace(TOKEN_LEVEL, 'dev/***') : text;
}

/** A topic as it may appear in a message: redacted and cut to `max` characters (client input is unbounded). */
export function topicForText(topic: string, max = 96): string {
  const redacted = redactTopic(topic);
  return redacted.length > max ? `${redacted.slice(0, max)}…` : redacted;
}
