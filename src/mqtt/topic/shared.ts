import { MqttError } from '../codec/errors.js';
import { ReasonCode } from '../codec/reason-codes.js';
import { isValidTopicFilter } from './validate.js';

const PREFIX = '$share/';

export interface SharedFilter {
  readonly shareName: string;
  /** The filter after `$share/{ShareName}/`, used for matching. */
  readonly filter: string;
}

/**
 * Splits `$share/{ShareName}/{filter}` (MQTT 5.0 §4.8.2). Returns null for a filter that is not
 * shared; throws MqttError 0x8F (Topic Filter invalid) for a malformed shared one: the ShareName
 * must be non-empty [MQTT-4.8.2-1] without `+`, `#` or `/`, and be followed by `/` and a valid,
 * non-empty filter [MQTT-4.8.2-2]. Level limits are applied to the inner filter.
 */
export function parseSharedFilter(filter: string, maxLevels?: number): SharedFilter | null {
  if (!filter.startsWith(PREFIX)) return null;
  const slash = filter.indexOf('/', PREFIX.length);
  if (slash === -1) throw invalid(filter, 'no topic filter after the ShareName');
  const shareName = filter.slice(PREFIX.length, slash);
  if (shareName.length === 0) throw invalid(filter, 'empty ShareName');
  if (shareName.includes('+') || shareName.includes('#')) throw invalid(filter, 'wildcard in ShareName');
  const inner = filter.slice(slash + 1);
  if (!isValidTopicFilter(inner, maxLevels) || !isValidTopicFilter(shareName)) {
    throw invalid(filter, 'invalid topic filter after the ShareName');
  }
  return { shareName, filter: inner };
}

/** Non-throwing form for callers that only need a yes/no (e.g. SUBACK 0x8F per filter). */
export function isValidSharedFilter(filter: string, maxLevels?: number): boolean {
  try {
    return parseSharedFilter(filter, maxLevels) !== null;
  } catch {
    return false;
  }
}

function invalid(filter: string, why: string): MqttError {
  return new MqttError(ReasonCode.TopicFilterInvalid, `invalid shared subscription "${filter}": ${why}`);
}
