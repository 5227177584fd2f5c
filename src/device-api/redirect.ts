import type { ConnectionInfo } from '../broker/auth.js';
import type { Platform } from '../platform/platform.js';

/** How long a redirected connection stays open so the device can read `downlink/redirect`. */
export const REDIRECT_GRACE_MS = 2000;

/** spec §3.4 [CHOICE]: the scheme and port of each transport. */
const SCHEMES: Readonly<Record<ConnectionInfo['transport'], { scheme: string; port: number; path: string }>> =
  {
    tcp: { scheme: 'mqtt', port: 1883, path: '' },
    tls: { scheme: 'mqtts', port: 8883, path: '' },
    ws: { scheme: 'ws', port: 80, path: '/mqtt' },
    wss: { scheme: 'wss', port: 443, path: '/mqtt' },
  };

function hostOf(url: string): string | undefined {
  try {
    const { hostname } = new URL(url);
    return hostname === '' ? undefined : hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * The `downlink/redirect` URI for a device that connected over `transport` and belongs to the
 * region at `homeUrl` (spec §3.4): a full URI in the scheme it used with an explicit port
 * (`mqtts://fra1.example.com:8883`, `wss://fra1.example.com:443/mqtt`). MQTT ports are the
 * standard ones; a WebSocket redirect keeps an explicit port of the region URL when its scheme
 * matches (http → ws, https → wss). Undefined when the URL has no host.
 */
export function redirectUri(homeUrl: string, transport: ConnectionInfo['transport']): string | undefined {
  const host = hostOf(homeUrl);
  if (host === undefined) return undefined;
  const { scheme, port, path } = SCHEMES[transport];
  const url = new URL(homeUrl);
  const sameWeb =
    (transport === 'ws' && url.protocol === 'http:') || (transport === 'wss' && url.protocol === 'https:');
  const chosen = sameWeb && url.port !== '' ? Number(url.port) : port;
  const shownHost = host.includes(':') ? `[${host.replace(/^\[|\]$/g, '')}]` : host;
  return `${scheme}://${shownHost}:${chosen}${path}`;
}

/** True when both URLs name the same host: never redirect a device to the node it is on (spec §7.3). */
export function sameRegion(a: string, b: string): boolean {
  const hostA = hostOf(a);
  return hostA !== undefined && hostA === hostOf(b);
}

/** The home region URL of an org: its own, else its nearest ancestor's; undefined = none set. */
export async function homeRegionOf(platform: Platform, orgId: number): Promise<string | undefined> {
  const path = platform.orgs.ancestry(orgId);
  for (let i = path.length - 1; i >= 0; i--) {
    const id = path[i] as number;
    const org = await platform.orgs.get({ orgId: id, actor: 'system' }, id).catch(() => undefined);
    if (org?.homeRegionUrl !== undefined && org.homeRegionUrl !== '') return org.homeRegionUrl;
  }
  return undefined;
}

/**
 * Where a device of `orgId` must go instead of this server (spec §2.5), or undefined: no region
 * URL configured here, none set for the org tree, or it names this server.
 */
export async function redirectTarget(
  platform: Platform,
  regionUrl: string | undefined,
  orgId: number,
  transport: ConnectionInfo['transport'],
): Promise<string | undefined> {
  if (regionUrl === undefined) return undefined;
  const home = await homeRegionOf(platform, orgId);
  if (home === undefined || sameRegion(home, regionUrl)) return undefined;
  return redirectUri(home, transport);
}
