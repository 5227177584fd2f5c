import { parseSharedFilter } from '../mqtt/topic/shared.js';
import { isValidTopicFilter } from '../mqtt/topic/validate.js';
import type { Route } from './types.js';

const SHARE_PREFIX = '$share/';

/**
 * A route as one string: its filter, or `$share/{share}/{filter}` for a share group. Unique per
 * route because a non-shared filter never starts with `$share/` (MQTT 5.0 §4.8.2). It is the map
 * key in the route indexes and the member stored in Redis.
 */
export function routeKey(route: Route): string {
  return route.share === undefined ? route.filter : `${SHARE_PREFIX}${route.share}/${route.filter}`;
}

/**
 * The route a key names, or undefined when the key is not a valid filter or share group: keys
 * read from Redis or from another node are checked before they reach the index.
 */
export function parseRouteKey(key: string): Route | undefined {
  try {
    const shared = parseSharedFilter(key);
    if (shared !== null) return { filter: shared.filter, share: shared.shareName };
  } catch {
    return undefined;
  }
  return isValidTopicFilter(key) ? { filter: key } : undefined;
}
