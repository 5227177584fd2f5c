/**
 * Engine counters. Plain numbers so the hot path pays one increment; exporters (log, $SYS,
 * /metrics) read them.
 */
export class EngineMetrics {
  connectionsAccepted = 0;
  connectionsRejected = 0;
  messagesReceived = 0;
  messagesSent = 0;
  bytesReceived = 0;
  bytesSent = 0;
  /** QoS 1/2 messages dropped because a session's offline/pending queue was full. */
  droppedQueueFull = 0;
  /** QoS 0 messages dropped because the socket could not keep up. */
  droppedSlowConsumer = 0;
  /** Messages not sent because they exceed the client's Maximum Packet Size [MQTT-3.1.2-25]. */
  droppedTooLarge = 0;
  /** Messages discarded because their Message Expiry Interval elapsed. */
  droppedExpired = 0;

  snapshot(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this).filter((e): e is [string, number] => typeof e[1] === 'number'),
    );
  }
}
