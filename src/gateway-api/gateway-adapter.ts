import { randomUUID } from 'node:crypto';
import type {
  AdapterLink,
  ClientAdapter,
  PublishDecision,
  SubscribeMapping,
} from '../broker/client-adapter.js';
import type { BrokerMessage } from '../broker/message.js';
import { createDeviceAdapter } from '../device-api/device-adapter.js';
import type { GatewayDeviceActivity, GatewaySessionView } from '../device-api/gateway-sessions.js';
import { deviceSessionKey, deviceTopic, parseDeviceTopic } from '../device-api/internal-topics.js';
import type { DeviceApiRuntime, UplinkTarget } from '../device-api/types.js';
import { isValueWrite } from '../device-api/uplink-values.js';
import type { Timer } from '../lib/clock.js';
import { TokenBucket } from '../lib/token-bucket.js';
import type { QoS } from '../mqtt/codec/packet.js';
import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import { DeviceBook } from './device-book.js';
import { GATEWAY_DIAG_TOPIC, GatewayOutbox } from './gateway-outbox.js';
import { type GatewayPrincipal, PrincipalState } from './gateway-principal.js';
import { RevokedError, TargetAccess } from './gateway-targets.js';
import { classifyFilter, isDownlink, prefixedTopic, splitPrefixed } from './gateway-topics.js';
import { sealGatewayFilter } from './sealed-filters.js';

export type { GatewayPrincipal } from './gateway-principal.js';

/** How often the login is re-read while no traffic does it (a subscribe-only gateway is cut off too). */
export const PRINCIPAL_RECHECK_MS = 5000;

const UNPREFIXED_DIAG = 'An OAuth client connection has no device of its own: use dev/{token}/…';

const handled = (reasonCode: ReasonCode): PublishDecision => ({ kind: 'handled', reasonCode });

/**
 * A flooding target is dropped like any rate-limited one: the gateway carries other devices too,
 * so it is not disconnected (0x96 is not a PUBACK code).
 */
const gatewayCode = (code: ReasonCode): ReasonCode =>
  code === ReasonCode.MessageRateTooHigh ? ReasonCode.QuotaExceeded : code;

/** The parts of the device API runtime a gateway connection uses. */
export type GatewayRuntime = Pick<
  DeviceApiRuntime,
  'platform' | 'broker' | 'options' | 'clock' | 'logger' | 'uplinks' | 'presence' | 'gateways'
>;

/**
 * The MQTT Gateway API mount for one connection (spec §4): `dev/{token}/…` acts for the device
 * with that token when it is in the login's scope. OAuth client logins get one session per MQTT
 * client id; `mgmt_device` logins share the gateway device's own session key (one live connection
 * per token, newest wins) and use its Device API for unprefixed topics.
 */
export function createGatewayAdapter(runtime: DeviceApiRuntime, principal: GatewayPrincipal): ClientAdapter {
  const own =
    principal.kind === 'gateway-device' ? createDeviceAdapter(runtime, principal.device) : undefined;
  return new GatewayConnection(runtime, principal, own);
}

/** The adapter with the gateway device's own Device API adapter given (tests pass a fake). */
export class GatewayConnection implements ClientAdapter, GatewaySessionView {
  readonly sessionKey: string;
  readonly login: 'oauth' | 'mgmt_device';
  connectedAt = 0;
  readonly #runtime: GatewayRuntime;
  readonly #own: ClientAdapter | undefined;
  readonly #ownId: number | undefined;
  readonly #principal: PrincipalState;
  readonly #book = new DeviceBook();
  readonly #access: TargetAccess;
  readonly #bucket: TokenBucket;
  readonly #outbox: GatewayOutbox;
  #link: AdapterLink | undefined;
  #timer: Timer | undefined;
  #closed = false;

  constructor(runtime: GatewayRuntime, principal: GatewayPrincipal, own: ClientAdapter | undefined) {
    this.#runtime = runtime;
    this.#own = own;
    this.#ownId = principal.kind === 'gateway-device' ? principal.device.id : undefined;
    this.login = principal.kind === 'gateway-device' ? 'mgmt_device' : 'oauth';
    this.sessionKey =
      principal.kind === 'gateway-device'
        ? deviceSessionKey(principal.device.id)
        : `oauth:${principal.client.clientId}:${principal.mqttClientId ?? randomUUID()}`;
    this.#principal = new PrincipalState(runtime.platform, principal);
    this.#access = new TargetAccess({
      platform: runtime.platform,
      broker: runtime.broker,
      logger: runtime.logger,
      principal: this.#principal,
      book: this.#book,
      sessionKey: () => this.sessionKey,
    });
    this.#outbox = new GatewayOutbox({
      broker: runtime.broker,
      clock: runtime.clock,
      options: runtime.options,
      book: this.#book,
      sessionKey: this.sessionKey,
    });
    const rate = runtime.options.gatewayRateLimitPerSec;
    this.#bucket = new TokenBucket(rate, rate, () => runtime.clock.now());
  }

  get sessionId(): string {
    return this.sessionKey;
  }

  get clientId(): string {
    return this.#link?.clientId ?? '';
  }

  get orgId(): number | undefined {
    return this.#principal.scopeOrg;
  }

  get remoteAddress(): string | undefined {
    return this.#link?.connection.remoteAddress;
  }

  devices(max: number): GatewayDeviceActivity[] {
    return this.#book.recentlyActive(max);
  }

  onConnected(link: AdapterLink): void {
    this.#link = link;
    this.connectedAt = this.#runtime.clock.now();
    this.#runtime.gateways.add(this);
    this.#own?.onConnected?.(link);
    this.#restoreSubscriptions();
    this.#armRecheck();
  }

  onDisconnected(): void {
    this.#closed = true;
    this.#runtime.gateways.remove(this);
    this.#timer?.cancel();
    this.#own?.onDisconnected?.();
  }

  onPublish(topic: string, message: BrokerMessage): PublishDecision | Promise<PublishDecision> {
    if (!this.#bucket.take()) {
      // 0x97 Quota exceeded: the PUBACK code closest to "rate too high" (0x96 is DISCONNECT-only).
      this.#outbox.gatewayDiag('Gateway rate limit exceeded');
      return handled(ReasonCode.QuotaExceeded);
    }
    const prefixed = splitPrefixed(topic);
    if (prefixed !== undefined) {
      const { token, relative } = prefixed;
      // The steady state: login and target known in memory, a value write whose effect starts
      // synchronously; the next PUBLISH is taken while it becomes durable (acks stay in order).
      const target = isValueWrite(relative) ? this.#access.peek(token, this.#book.find(token)) : undefined;
      if (target === undefined) return this.#publishFor(token, relative, message.payload);
      return { kind: 'deferred', reasonCode: this.#act(token, target, relative, message.payload) };
    }
    if (this.#own !== undefined) return this.#own.onPublish(topic, message);
    this.#outbox.gatewayDiag(UNPREFIXED_DIAG); // spec §4.2: no device identity on an OAuth connection
    return handled(ReasonCode.NotAuthorized);
  }

  /** A will on `dev/{token}/…` acts for that device when it is due, like a publish would. */
  onWill(message: BrokerMessage): string | undefined {
    const prefixed = splitPrefixed(message.topic);
    if (prefixed === undefined) return this.#own?.onWill?.(message);
    this.#publishFor(prefixed.token, prefixed.relative, message.payload).catch((err: unknown) =>
      this.#runtime.logger.error({ err, sessionKey: this.sessionKey }, 'gateway will failed'),
    );
    return undefined;
  }

  async onSubscribe(filter: string, qos: QoS): Promise<SubscribeMapping> {
    const wanted = classifyFilter(filter);
    if (wanted.kind === 'refused') {
      this.#outbox.gatewayDiag(wanted.diag);
      return wanted.code;
    }
    if (wanted.kind === 'own') {
      if (this.#own !== undefined) return this.#own.onSubscribe(filter, qos);
      this.#outbox.gatewayDiag(UNPREFIXED_DIAG);
      return ReasonCode.NotAuthorized;
    }
    const target = await this.#resolve(wanted.token);
    if (typeof target === 'number') return target;
    this.#pruneBook();
    const entry = this.#book.addFilter(wanted.token, target.device.id, filter);
    entry.target = target;
    entry.checkedAt = -1;
    entry.activeAt = this.#runtime.clock.now();
    const internal = deviceTopic(target.device.id, wanted.relative);
    // The token never reaches the session store: the subscription is kept sealed (sealed-filters.ts).
    const storedFilter = sealGatewayFilter(filter, internal);
    // spec §3.1 [CHOICE]: downlinks are granted at most QoS 1.
    return { filter: internal, maxQos: 1, ...(storedFilter === undefined ? {} : { storedFilter }) };
  }

  toWireTopic(internalTopic: string): string | undefined {
    if (internalTopic === GATEWAY_DIAG_TOPIC) return 'downlink/diag';
    const parsed = parseDeviceTopic(internalTopic);
    if (parsed === undefined) return undefined;
    if (parsed.deviceId === this.#ownId) return this.#own?.toWireTopic(internalTopic);
    if (!isDownlink(parsed.relative)) return undefined;
    const token = this.#book.tokenFor(parsed.deviceId);
    if (token === undefined || !this.#access.mayDeliver(token, parsed.deviceId)) return undefined;
    return prefixedTopic(token, parsed.relative);
  }

  async #publishFor(token: string, relative: string, payload: Buffer): Promise<PublishDecision> {
    const target = await this.#resolve(token);
    if (typeof target === 'number') return handled(target);
    const acting = this.#act(token, target, relative, payload);
    // A value write once its target is read, as on the fast path: the next PUBLISH is taken while
    // this one becomes durable (acks stay in order), so a commit round trip is not paid per message.
    return isValueWrite(relative) ? { kind: 'deferred', reasonCode: acting } : handled(await acting);
  }

  /** Acts for an in-scope target; what it does first (up to the store call) runs synchronously. Never rejects. */
  #act(token: string, target: UplinkTarget, relative: string, payload: Buffer): Promise<ReasonCode> {
    const deviceId = target.device.id;
    try {
      const entry = this.#book.noteUse(token, deviceId);
      entry.activeAt = this.#runtime.clock.now();
      if (entry.target !== target) {
        // From `resolve` (a read): found current only when a later publish checks it.
        entry.target = target;
        entry.checkedAt = -1;
      }
      // spec §4.2: data through a gateway marks the target online; its own connection is untouched.
      this.#runtime.presence.seen(deviceId);
      entry.reply ??= this.#outbox.replyFor(token, deviceId);
      return this.#runtime.uplinks
        .handle(target, relative, payload, entry.reply)
        .then(gatewayCode, (err: unknown) => this.#failed(err, deviceId));
    } catch (err) {
      return Promise.resolve(this.#failed(err, deviceId));
    }
  }

  #failed(err: unknown, deviceId: number): ReasonCode {
    this.#runtime.logger.error({ err, deviceId }, 'gateway uplink failed');
    return ReasonCode.UnspecifiedError;
  }

  /** The in-scope target, or the code to answer: 0x87 for every kind of unreachable token. */
  async #resolve(token: string) {
    try {
      return (await this.#access.resolve(token)) ?? ReasonCode.NotAuthorized;
    } catch (err) {
      if (err instanceof RevokedError) {
        this.#revoked();
        return ReasonCode.NotAuthorized;
      }
      this.#runtime.logger.error({ err, sessionKey: this.sessionKey }, 'gateway target lookup failed');
      return ReasonCode.UnspecifiedError;
    }
  }

  /** The client may have unsubscribed meanwhile (the engine does not tell adapters): bound the book. */
  #pruneBook(): void {
    const live = this.#runtime.broker.subscriptionsOf(this.sessionKey);
    if (this.#book.filterCount <= 2 * (live?.size ?? 0) + 64) return;
    this.#book.prune((filter) => live?.has(filter) === true);
  }

  /** A resumed session keeps its subscriptions: learn their tokens and re-check each target. */
  #restoreSubscriptions(): void {
    const subscriptions = this.#runtime.broker.subscriptionsOf(this.sessionKey);
    if (subscriptions === undefined) return;
    for (const [filter, sub] of subscriptions) {
      const wire = splitPrefixed(filter);
      const internal = parseDeviceTopic(sub.topicFilter);
      if (wire !== undefined && internal !== undefined)
        this.#book.addFilter(wire.token, internal.deviceId, filter);
    }
    for (const { token, deviceId } of this.#book.subscribedTokens()) this.#access.recheck(token, deviceId);
  }

  #armRecheck(): void {
    this.#timer = this.#runtime.clock.schedule(PRINCIPAL_RECHECK_MS, () => {
      if (this.#closed) return;
      this.#principal.refresh().then(
        (scopeOrg) => (scopeOrg === undefined ? this.#revoked() : this.#armRecheck()),
        (err: unknown) => {
          this.#runtime.logger.error({ err, sessionKey: this.sessionKey }, 'gateway login re-check failed');
          this.#armRecheck();
        },
      );
    });
  }

  /** The login lost its right (spec §2.4 "valid credentials without the right"): 0x87 and close. */
  #revoked(): void {
    if (this.#closed || this.#link === undefined) return;
    this.#runtime.logger.info({ sessionKey: this.sessionKey }, 'gateway login revoked: closing');
    this.#link.close(ReasonCode.NotAuthorized, 'not authorized');
  }
}
