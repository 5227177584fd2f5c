/**
 * The broker's own `$SYS` topic space. Topics starting with `$` are for server use [MQTT-4.7.2-1]:
 * clients may read `$SYS` topics (where authorized) but never publish to them.
 */
export const SYS_ROOT = '$SYS';

const DOLLAR = 0x24;

/** True for `$SYS` and every topic below it. The first-character test keeps the common case cheap. */
export function isSysTopic(topic: string): boolean {
  return (
    topic.charCodeAt(0) === DOLLAR &&
    topic.startsWith(SYS_ROOT) &&
    (topic.length === SYS_ROOT.length || topic.charCodeAt(SYS_ROOT.length) === 0x2f)
  );
}
