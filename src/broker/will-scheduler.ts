import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import type { Authorizer } from './auth.js';
import type { BrokerMessage } from './message.js';
import type { Session } from './session.js';
import { isSysTopic } from './sys-topic.js';
import { type WillSpec, willToMessage } from './will.js';

export interface WillSchedulerDeps {
  readonly clock: Clock;
  readonly authorizer: Authorizer;
  readonly logger: Logger;
  readonly publish: (message: BrokerMessage) => void;
  /** False once the session has ended (its will then goes out at once). */
  readonly isLive: (session: Session) => boolean;
  /** In a cluster: a connected client's will was kept (keepWhileConnected). */
  readonly kept?: (session: Session, will: BrokerMessage) => void;
}

/**
 * Will messages [MQTT-3.1.2-8..15]: authorized as publications of their client, published after
 * the Will Delay Interval or when the session ends, whichever comes first [MQTT-3.1.3-9], and
 * cancelled when the client reconnects to the session in time.
 */
export class WillScheduler {
  constructor(private readonly deps: WillSchedulerDeps) {}

  /** A connection ended without a normal DISCONNECT: its will goes out now or when due. */
  schedule(session: Session, will: WillSpec): void {
    const allowed = this.allowed(will);
    if (typeof allowed === 'boolean') this.decide(session, will, allowed);
    // One catch for both: a throw while deciding must not become an unhandled rejection.
    else
      allowed
        .then((ok) => this.decide(session, will, ok))
        .catch((err: unknown) => this.deps.logger.error({ err }, 'will authorization or publication failed'));
  }

  /**
   * In a cluster: keeps the will of `link`'s connection, as it would be published, in the session
   * row, so a node adopting the session after this one died publishes it (see lostWithNode).
   */
  keepWhileConnected(session: Session, link: unknown, will: WillSpec): void {
    const keep = (allowed: boolean) => {
      if (!allowed || session.link !== link) return;
      const message = willToMessage(will, this.deps.clock.now());
      if (message === undefined) return;
      session.connectedWill = { message, delay: will.delay };
      session.saveState();
      this.deps.kept?.(session, message);
    };
    const allowed = this.allowed(will);
    if (typeof allowed === 'boolean') keep(allowed);
    else
      allowed
        .then(keep)
        .catch((err: unknown) => this.deps.logger.error({ err }, 'will authorization failed'));
  }

  /**
   * A session restored from a row written while its connection was open: that connection was lost
   * with its node, without DISCONNECT, so its will goes out after its delay [MQTT-3.1.2-8],
   * [MQTT-3.1.3-9] (at once without one), unless the client reconnects first.
   */
  lostWithNode(session: Session, message: BrokerMessage, delay: number): void {
    const seconds = Math.min(delay, session.expiryInterval);
    const now = this.deps.clock.now();
    if (seconds === 0) {
      session.connectedWill = undefined;
      session.saveState();
      this.deps.publish({ ...message, createdAt: now });
      return;
    }
    this.setPending(session, { ...message, createdAt: now + seconds * 1000 }, now + seconds * 1000);
  }

  private allowed(will: WillSpec): boolean | Promise<boolean> {
    // An adapter's onWill decides for its connection, as its onPublish does for publishes; `$SYS`
    // is the broker's own [MQTT-4.7.2-1].
    return (
      will.mapTopic !== undefined ||
      (!isSysTopic(will.topic) && this.deps.authorizer.canPublish(will.identity, will.topic))
    );
  }

  private decide(session: Session, will: WillSpec, allowed: boolean): void {
    if (!allowed) {
      this.deps.logger.info({ clientId: session.clientId }, 'will not published: not authorized');
      return;
    }
    // The session went on on another node of the cluster: a new connection opened before any
    // delay ran out, so only a will without a delay goes out [MQTT-3.1.3-9].
    if (session.movedAway) {
      const message = will.delay === 0 ? willToMessage(will, this.deps.clock.now()) : undefined;
      if (message !== undefined) this.deps.publish(message);
      return;
    }
    // A session that outlives its connection holds the will for min(delay, expiry).
    const delay = session.link === undefined ? Math.min(will.delay, session.expiryInterval) : will.delay;
    const now = this.deps.clock.now();
    if (delay === 0 || !this.deps.isLive(session)) {
      const message = willToMessage(will, now);
      if (message !== undefined) this.deps.publish(message);
      return;
    }
    const dueAt = now + delay * 1000;
    const message = willToMessage(will, dueAt);
    if (message !== undefined) this.setPending(session, message, dueAt);
  }

  /** Registers a will due at `dueAt` (also used when restoring sessions from the store). */
  setPending(session: Session, message: BrokerMessage, dueAt: number): void {
    this.cancel(session);
    const timer = this.deps.clock.schedule(dueAt - this.deps.clock.now(), () => {
      if (session.will?.message !== message) return;
      session.will = undefined;
      session.saveState();
      this.deps.publish(message);
    });
    session.will = { message, dueAt, timer };
    session.saveState();
  }

  /** Drops a pending will without publishing it. */
  cancel(session: Session): void {
    if (session.will === undefined) return;
    session.will.timer?.cancel();
    session.will = undefined;
    session.saveState();
  }
}
