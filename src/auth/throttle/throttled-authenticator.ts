import type { Authenticator, AuthResult, ConnectRequest } from '../../broker/auth.js';
import { ReasonCode } from '../../mqtt/codec/reason-codes.js';
import type { AuthAttempt, AuthThrottle } from './auth-throttle.js';

/** v5 0x9F; the CONNACK downgrade table makes it 3.1.1 return code 5 (not authorized). */
const THROTTLED: AuthResult = {
  ok: false,
  reasonCode: ReasonCode.ConnectionRateExceeded,
  reasonString: 'too many failed logins; retry later',
};

/** Refusals that mean "wrong credential" (unknown, bad secret, or a credential without the right). */
function isCredentialFailure(result: AuthResult): boolean {
  return (
    !result.ok &&
    (result.reasonCode === ReasonCode.BadUserNameOrPassword || result.reasonCode === ReasonCode.NotAuthorized)
  );
}

/**
 * Wraps an authenticator with failed-login throttling (decision 0009): a throttled CONNECT is
 * refused with 0x9F before `inner` runs, so no secret hash (scrypt) is computed for it; the
 * answer is the same whether the guessed credential exists or not.
 */
export function throttledAuthenticator(inner: Authenticator, throttle: AuthThrottle): Authenticator {
  if (!throttle.enabled) return inner;
  const credentialOf = (request: ConnectRequest): string | undefined => {
    if (inner.credentialOf !== undefined) return inner.credentialOf(request);
    return request.username === undefined ? undefined : `user:${request.username}`;
  };
  return {
    credentialOf,
    async authenticate(request) {
      const attempt: AuthAttempt = {
        channel: 'mqtt',
        address: request.connection.remoteAddress,
        credential: credentialOf(request),
      };
      if (!throttle.check(attempt).allowed) return THROTTLED;
      let result: AuthResult;
      try {
        result = await inner.authenticate(request);
      } catch (err) {
        throttle.released(attempt);
        throw err;
      }
      if (result.ok) throttle.succeeded(attempt);
      // No username, no secret guessed: an anonymous refusal is not a failed login.
      else if (request.username !== undefined && isCredentialFailure(result)) throttle.failed(attempt);
      else throttle.released(attempt);
      return result;
    },
  };
}
