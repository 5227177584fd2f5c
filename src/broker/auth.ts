import type { ProtocolVersion } from '../mqtt/codec/packet.js';
import type { ReasonCode } from '../mqtt/codec/reason-codes.js';
import type { ClientAdapter } from './client-adapter.js';

/** Where a connection came from; filled in by the transport. */
export interface ConnectionInfo {
  readonly transport: 'tcp' | 'tls' | 'ws' | 'wss';
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  /** The port of the listener that accepted the connection (per-listener metrics). */
  readonly localPort?: number;
}

/** What the authenticator sees of a CONNECT. */
export interface ConnectRequest {
  readonly clientId: string;
  readonly username?: string;
  readonly password?: Buffer;
  readonly protocolVersion: ProtocolVersion;
  readonly connection: ConnectionInfo;
}

/** Who a connection is, once authenticated. Later layers attach their own attributes. */
export interface ClientIdentity {
  readonly clientId: string;
  readonly username?: string;
  /**
   * The credential the connection logged in with (an OAuth client, a device): sessions are counted
   * per credential (`limits.maxSessionsPerCredential`). None (anonymous, password-file users, whose
   * fleets often share one username as with mosquitto): uncounted.
   */
  readonly credential?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export type AuthResult =
  | { readonly ok: true; readonly identity: ClientIdentity; readonly adapter?: ClientAdapter }
  | { readonly ok: false; readonly reasonCode: ReasonCode; readonly reasonString?: string };

/** Decides whether a CONNECT may proceed. Pluggable: plain broker files, device tokens, OAuth clients. */
export interface Authenticator {
  authenticate(request: ConnectRequest): AuthResult | Promise<AuthResult>;
  /**
   * What a CONNECT guesses at when its username names a credential apart from the secret (an
   * OAuth client id), for per-credential failure throttling; undefined when the secret is the
   * credential (a device token). Absent: the username.
   */
  credentialOf?(request: ConnectRequest): string | undefined;
}

/**
 * A subscription decision: true, false (refused without saying why: SUBACK 0x80, as the Paho
 * interoperability suite expects), or a specific v5 failure code such as 0x87 or 0xA2.
 */
export type SubscribeDecision = boolean | ReasonCode;

/** Per-topic permissions. A refused publish gets PUBACK 0x87 (v5) or is dropped (3.1.1). */
export interface Authorizer {
  canPublish(identity: ClientIdentity, topic: string): boolean | Promise<boolean>;
  /**
   * `filter` is the topic filter to match: for `$share/{group}/{filter}` the part after the share
   * name, so a share prefix can never widen what a rule allows; `shareName` tells the two apart.
   */
  canSubscribe(
    identity: ClientIdentity,
    filter: string,
    shareName?: string,
  ): SubscribeDecision | Promise<SubscribeDecision>;
  /** Optional per-delivery read check (mosquitto-style ACLs re-check each matched topic). */
  canReceive?(identity: ClientIdentity, topic: string): boolean;
}

/** Lets everyone in and allows everything: `--allow-anonymous` without files. */
export const allowAll: Authenticator & Authorizer = {
  authenticate: (request) => ({
    ok: true,
    identity:
      request.username === undefined
        ? { clientId: request.clientId }
        : { clientId: request.clientId, username: request.username },
  }),
  canPublish: () => true,
  canSubscribe: () => true,
};
