/**
 * Topic matching for ACL rules. Rules are topic filters; a published or delivered topic is
 * checked with `filterMatchesTopic`, a SUBSCRIBE filter with `filterCoversFilter`.
 */

function startsWithWildcard(level: string | undefined): boolean {
  return level === '#' || level === '+';
}

/** Standard MQTT matching of a topic name against a filter (MQTT 5.0 §4.7). */
export function filterMatchesTopic(filter: string, topic: string): boolean {
  const rule = filter.split('/');
  const levels = topic.split('/');
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with '$'.
  if (topic.startsWith('$') && startsWithWildcard(rule[0])) return false;
  for (let i = 0; i < rule.length; i++) {
    const r = rule[i];
    if (r === '#') return true; // also matches the parent level: 'a/#' matches 'a' [MQTT-4.7.1-2]
    const level = levels[i];
    if (level === undefined) return false;
    if (r !== '+' && r !== level) return false;
  }
  return rule.length === levels.length;
}

/**
 * Whether every topic that `subscription` can match is also matched by `rule`, i.e. the
 * subscription is no broader than the rule (mosquitto's sub-matches-acl check). A rule `a/#`
 * covers `a/+/c` and `a/#`; a rule `a/+` covers `a/b` and `a/+` but not `a/#`.
 */
export function filterCoversFilter(rule: string, subscription: string): boolean {
  const r = rule.split('/');
  const s = subscription.split('/');
  if (subscription.startsWith('$') && startsWithWildcard(r[0])) return false;
  for (let i = 0; i < r.length; i++) {
    const ruleLevel = r[i];
    if (ruleLevel === '#') return true;
    const subLevel = s[i];
    if (subLevel === undefined || subLevel === '#') return false;
    if (ruleLevel === '+') continue;
    if (subLevel === '+' || subLevel !== ruleLevel) return false;
  }
  return r.length === s.length;
}
