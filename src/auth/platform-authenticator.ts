import type {
  Authenticator,
  Authorizer,
  AuthResult,
  ClientIdentity,
  ConnectRequest,
} from '../broker/auth.js';
import type { ClientAdapter } from '../broker/client-adapter.js';
import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import type { Logger } from '../observability/logger.js';
import { type Device, DeviceStatus, type OAuthClient } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';
import { oauthClientCredential } from './throttle/auth-throttle.js';

/** Device API login (spec §2.1). */
export const DEVICE_USERNAME = 'device';
/** Gateway API login with the gateway device's own token (spec §2.3). */
export const GATEWAY_DEVICE_USERNAME = 'mgmt_device';
/** spec §2.4: longer client ids are refused with 0x85 (3.1.1: 0x02). */
export const MAX_PLATFORM_CLIENT_ID = 64;

/** What a platform connection is; stored in `ClientIdentity.attributes`. */
export type PlatformIdentityAttributes = {
  readonly kind: 'device' | 'gateway-device' | 'oauth-client';
  readonly deviceId?: number;
  readonly orgId: number;
  /** The OAuth client id (not the MQTT client id). */
  readonly clientId?: string;
};

const refused = (reasonCode: ReasonCode): AuthResult => ({ ok: false, reasonCode });
const badCredentials = refused(ReasonCode.BadUserNameOrPassword);
const notAuthorized = refused(ReasonCode.NotAuthorized);

/** Statuses whose token may not log in as a gateway: not yet provisioned or claimed (spec §2.3). */
const NOT_YET_OWNED: ReadonlySet<string> = new Set([DeviceStatus.Pending, DeviceStatus.Unclaimed]);

/**
 * The device and gateway APIs on the engine's adapter seam: each accepted platform login gets the
 * adapter that mounts its topics (architecture "mount / unmount").
 */
export interface PlatformAdapters {
  device(device: Device): ClientAdapter;
  gatewayDevice(device: Device): ClientAdapter;
  /** `mqttClientId`: the connection's (possibly assigned) client id; one session per client id. */
  oauthClient(client: OAuthClient, mqttClientId: string): ClientAdapter;
}

/** The session-quota key: one per OAuth client, one per device (its `device` and `mgmt_device` logins). */
function credentialKey(attributes: PlatformIdentityAttributes): string {
  return attributes.kind === 'oauth-client'
    ? oauthClientCredential(attributes.clientId ?? '')
    : `device:${attributes.deviceId}`;
}

function accepted(
  request: ConnectRequest,
  attributes: PlatformIdentityAttributes,
  adapter: ClientAdapter,
): AuthResult {
  const identity: ClientIdentity = {
    clientId: request.clientId,
    ...(request.username === undefined ? {} : { username: request.username }),
    credential: credentialKey(attributes),
    attributes,
  };
  return { ok: true, identity, adapter };
}

type PlatformView = Pick<Platform, 'devices' | 'templates' | 'oauth'>;

/**
 * `device` and `mgmt_device` logins: the device's token authenticates; a gateway login also needs
 * a gateway-enabled template and a device that is provisioned or claimed (spec §2.3).
 */
async function deviceTokenLogin(
  platform: PlatformView,
  adapters: PlatformAdapters,
  request: ConnectRequest,
  token: string,
  kind: 'device' | 'gateway-device',
): Promise<AuthResult> {
  const device = await platform.devices.authenticateToken(token);
  if (device === undefined) return badCredentials;
  if (kind === 'gateway-device') {
    const template = platform.templates.byId(device.templateId);
    if (template?.gatewayEnabled !== true || NOT_YET_OWNED.has(device.status)) return notAuthorized;
  }
  const adapter = kind === 'device' ? adapters.device(device) : adapters.gatewayDevice(device);
  return accepted(request, { kind, deviceId: device.id, orgId: device.orgId }, adapter);
}

async function oauthClientLogin(
  platform: PlatformView,
  adapters: PlatformAdapters,
  request: ConnectRequest,
  clientId: string,
  secret: string,
): Promise<AuthResult> {
  const client = await platform.oauth.verifyClient(clientId, secret);
  if (client === undefined) return badCredentials;
  if (!client.isActive) return notAuthorized;
  return accepted(
    request,
    { kind: 'oauth-client', orgId: client.orgId, clientId: client.clientId },
    adapters.oauthClient(client, request.clientId),
  );
}

/**
 * The platform's MQTT login (spec §2): `device` + device token, `mgmt_device` + gateway device
 * token, any other username = OAuth client id + secret. Unknown credentials get 0x86 (3.1.1: 4),
 * valid ones without the right get 0x87 (3.1.1: 5); the answer never tells whether a token exists.
 * Tokens and secrets are never logged.
 */
export function createPlatformAuthenticator(
  platform: PlatformView,
  logger: Logger,
  adapters: PlatformAdapters,
): Authenticator {
  return {
    // A device token is its own credential (address throttling only); any other username is an
    // OAuth client id, throttled per client as well.
    credentialOf: ({ username }) =>
      username === undefined || username === DEVICE_USERNAME || username === GATEWAY_DEVICE_USERNAME
        ? undefined
        : oauthClientCredential(username),
    async authenticate(request) {
      // spec §2.4 [CHOICE]: the engine allows longer ids; the platform does not.
      if (request.clientId.length > MAX_PLATFORM_CLIENT_ID)
        return refused(ReasonCode.ClientIdentifierNotValid);
      const { username, password } = request;
      if (username === undefined || password === undefined) return badCredentials;
      const secret = password.toString('utf8');
      try {
        if (username === DEVICE_USERNAME)
          return await deviceTokenLogin(platform, adapters, request, secret, 'device');
        if (username === GATEWAY_DEVICE_USERNAME)
          return await deviceTokenLogin(platform, adapters, request, secret, 'gateway-device');
        return await oauthClientLogin(platform, adapters, request, username, secret);
      } catch (err) {
        logger.error({ err, clientId: request.clientId, username }, 'platform authentication failed');
        return refused(ReasonCode.ServerUnavailable);
      }
    },
  };
}

/**
 * The engine's topic rules for a platform composition: deny everything. Every accepted platform
 * login carries the adapter of its API (required above), and an adapter replaces the authorizer
 * for that connection's publishes, subscriptions and wills; so this is only ever asked about a
 * connection that has no adapter, which has no platform topic rights at all (fail closed).
 */
export function createPlatformAuthorizer(): Authorizer {
  return {
    canPublish: () => false,
    canSubscribe: () => ReasonCode.NotAuthorized,
  };
}
