/** How many devices a gateway listing names per gateway (most recently active first). */
export const GATEWAY_DEVICES_LISTED = 100;

/** A device a gateway connection acted for (published or subscribed with its token). */
export interface GatewayDeviceActivity {
  readonly deviceId: number;
  readonly lastActiveAt: number;
}

/** What one connected Gateway API session tells about itself. */
export interface GatewaySessionView {
  readonly sessionId: string;
  readonly clientId: string;
  readonly login: 'oauth' | 'mgmt_device';
  /** The org its scope starts from now; undefined once the login lost its right. */
  readonly orgId: number | undefined;
  readonly connectedAt: number;
  readonly remoteAddress: string | undefined;
  /** At most `max` devices, most recently active first. */
  devices(max: number): GatewayDeviceActivity[];
}

/**
 * The Gateway API connections open in this process (the console's gateway list). A connection
 * adds itself once accepted and removes itself when it closes; nothing here is on the publish
 * path.
 */
export class GatewaySessions {
  readonly #open = new Set<GatewaySessionView>();

  add(session: GatewaySessionView): void {
    this.#open.add(session);
  }

  remove(session: GatewaySessionView): void {
    this.#open.delete(session);
  }

  get size(): number {
    return this.#open.size;
  }

  /** The open sessions, oldest connection first. */
  list(): GatewaySessionView[] {
    return [...this.#open].sort((a, b) => a.connectedAt - b.connectedAt);
  }
}
