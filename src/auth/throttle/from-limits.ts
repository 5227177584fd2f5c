import type { Limits } from '../../config/limits.js';
import { type Clock, systemClock } from '../../lib/clock.js';
import type { Logger } from '../../observability/logger.js';
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.js';

/** The throttle rules of the `limits.auth…` settings. */
export function throttleOptionsFrom(limits: Limits): AuthThrottleOptions {
  return {
    perAddress: { burst: limits.authFailureBurst, refillMs: limits.authFailureRefillMs },
    perCredential: {
      burst: limits.authCredentialFailureBurst,
      refillMs: limits.authCredentialFailureRefillMs,
    },
    maxEntries: limits.authThrottleMaxEntries,
  };
}

/** One throttle per process, shared by the MQTT listeners and the HTTP API. */
export function createAuthThrottle(limits: Limits, logger: Logger, clock: Clock = systemClock): AuthThrottle {
  return new AuthThrottle(throttleOptionsFrom(limits), clock, logger.child({ component: 'auth-throttle' }));
}
