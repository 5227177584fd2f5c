/**
 * A committed change to something a process keeps a copy of in memory. Small on purpose: a kind
 * and an id, never a name, token or secret (PostgreSQL NOTIFY payloads are capped at 8000 bytes and
 * are visible to every session that listens on the channel).
 *
 * - `org`: an organization was created, changed, moved or deleted (the org tree is reloaded);
 * - `template`: a template or one of its datastreams, events or metadata fields changed;
 * - `device`: a device was deleted, moved, its token rotated, its template or status changed;
 * - `oauth-client`: an OAuth client was disabled, enabled, deleted or its secret changed;
 * - `resync`: the process may have missed changes (the LISTEN connection was lost): every cache
 *   is dropped or reloaded.
 */
export type PlatformChange =
  | { readonly kind: 'org' | 'template' | 'device' | 'oauth-client'; readonly id: number }
  | { readonly kind: 'resync' };

export type EntityChangeKind = Exclude<PlatformChange['kind'], 'resync'>;

/** The PostgreSQL channel (and the SQLite function's name prefix) changes travel on. */
export const CHANGE_CHANNEL = 'devgate_platform_changes';

const KINDS: ReadonlySet<string> = new Set<EntityChangeKind>(['org', 'template', 'device', 'oauth-client']);

/** `kind:id`, the payload the database triggers write (see the trigger definitions). */
export function encodeChange(change: PlatformChange): string {
  return change.kind === 'resync' ? 'resync' : `${change.kind}:${change.id}`;
}

/** The change a payload names; undefined for anything else (never trusted further than that). */
export function parseChange(payload: string): PlatformChange | undefined {
  if (payload === 'resync') return { kind: 'resync' };
  const colon = payload.indexOf(':');
  if (colon < 0 || payload.length > 64) return undefined;
  const kind = payload.slice(0, colon);
  const text = payload.slice(colon + 1);
  if (!KINDS.has(kind) || !/^\d{1,15}$/.test(text)) return undefined;
  return { kind: kind as EntityChangeKind, id: Number(text) };
}
