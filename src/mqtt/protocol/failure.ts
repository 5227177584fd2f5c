import { ReasonCode } from '../codec/reason-codes.js';
import type { Channel } from './channel.js';
import {
  classifyFailure,
  type Failure,
  type FailureStage,
  failureAnswer,
  wireReasonString,
} from './error-mapping.js';

/**
 * Answers a failure of `ch` on the wire and reports it: once, in the log and in
 * `devgate_connection_errors_total`. A client's protocol error is logged at debug, as any client
 * mistake; a failure of ours (an exception, a packet we could not encode) at error, with its stack.
 * Returns the error if the answer itself could not be encoded (the caller then destroys the transport).
 */
export function answerFailure(ch: Channel, err: unknown, stage: FailureStage): unknown {
  const failure = classifyFailure(err);
  if (stage !== 'connected') ch.broker.metrics.connectRefused(failure.code);
  const answer = failureAnswer(failure, stage, ch.protocolVersion);
  const answerError = answer === null ? undefined : ch.writeAnswer(answer);
  if (failure.kind === 'internal' || answerError !== undefined) {
    ch.broker.metrics.connectionFailed('internal');
    ch.logger.error(
      { err, clientId: ch.clientId, stage, ...(answerError === undefined ? {} : { answerError }) },
      answerError === undefined
        ? 'connection failed: closed'
        : 'connection failed and its answer could not be encoded: destroyed',
    );
    return answerError;
  }
  if (countsAsProtocolError(failure, stage)) ch.broker.metrics.connectionFailed('protocol');
  ch.logger.debug(
    { clientId: ch.clientId, reason: wireReasonString(failure.text ?? '') },
    'protocol failure',
  );
  return undefined;
}

/**
 * A refused CONNECT (authentication, client id, …) is counted by `devgate_mqtt_connects_refused_total`,
 * not here; malformed packets and protocol violations are, at any stage.
 */
function countsAsProtocolError(failure: Failure, stage: FailureStage): boolean {
  return (
    stage === 'connected' ||
    failure.code === ReasonCode.MalformedPacket ||
    failure.code === ReasonCode.ProtocolError
  );
}

/** A failure of ours outside a packet's handling (adapter callbacks, session release): logged and counted. */
export function reportInternal(ch: Channel, err: unknown, message: string): void {
  ch.broker.metrics.connectionFailed('internal');
  ch.logger.error({ err, clientId: ch.clientId }, message);
}
