import type { Authorizer, ClientIdentity } from '../broker/auth.js';
import type { AclRule, AclTable } from './acl-file.js';
import { filterCoversFilter, filterMatchesTopic } from './acl-match.js';

type Operation = 'read' | 'write';
type Matcher = (rule: string, topicOrFilter: string) => boolean;

function grants(rule: AclRule, operation: Operation): boolean {
  return rule.access === 'readwrite' || rule.access === operation;
}

/** Deny rules first, then allow rules; undefined when no rule speaks to the topic. */
function evaluate(
  rules: readonly AclRule[],
  subject: string,
  operation: Operation,
  match: Matcher,
): boolean | undefined {
  for (const rule of rules) if (rule.access === 'deny' && match(rule.topic, subject)) return false;
  for (const rule of rules) if (grants(rule, operation) && match(rule.topic, subject)) return true;
  return undefined;
}

/** Wildcards in an id or username would widen a pattern; mosquitto refuses such clients too. */
function unsafe(value: string): boolean {
  return value.includes('+') || value.includes('#');
}

/**
 * A pattern with `%c` / `%u` levels replaced; undefined when it cannot apply to this client
 * (`%u` without a username, or a substituted value containing a wildcard).
 */
export function expandPattern(topic: string, identity: ClientIdentity): string | undefined {
  const levels = topic.split('/');
  const out: string[] = [];
  for (const level of levels) {
    if (level === '%c') {
      if (unsafe(identity.clientId)) return undefined;
      out.push(identity.clientId);
    } else if (level === '%u') {
      if (identity.username === undefined || unsafe(identity.username)) return undefined;
      out.push(identity.username);
    } else {
      out.push(level);
    }
  }
  return out.join('/');
}

/**
 * mosquitto-style ACLs. The client's own rules (its `user` block, or the anonymous block) are
 * checked first, then the patterns; in each, a matching deny wins over any allow. Anything no
 * rule allows is denied. SUBSCRIBE is allowed when a read rule covers the whole filter;
 * every delivery is re-checked against the concrete topic (`canReceive`).
 */
export class AclAuthorizer implements Authorizer {
  #table: AclTable;

  constructor(table: AclTable) {
    this.#table = table;
  }

  /** A reloaded ACL file: every later publish, subscribe and delivery is checked against it. */
  replaceTable(table: AclTable): void {
    this.#table = table;
  }

  // Arrow properties: callers may detach the methods (e.g. `const canReceive = authorizer.canReceive`).
  readonly canPublish = (identity: ClientIdentity, topic: string): boolean =>
    this.check(identity, topic, 'write', filterMatchesTopic);

  readonly canSubscribe = (identity: ClientIdentity, filter: string): boolean =>
    this.check(identity, filter, 'read', filterCoversFilter);

  readonly canReceive = (identity: ClientIdentity, topic: string): boolean =>
    this.check(identity, topic, 'read', filterMatchesTopic);

  private check(identity: ClientIdentity, subject: string, operation: Operation, match: Matcher): boolean {
    const own =
      identity.username === undefined
        ? this.#table.anonymous
        : (this.#table.users.get(identity.username) ?? []);
    const direct = evaluate(own, subject, operation, match);
    if (direct !== undefined) return direct;
    const patterns: AclRule[] = [];
    for (const rule of this.#table.patterns) {
      const topic = expandPattern(rule.topic, identity);
      if (topic !== undefined) patterns.push({ access: rule.access, topic });
    }
    return evaluate(patterns, subject, operation, match) ?? false;
  }
}
