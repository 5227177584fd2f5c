import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { ChangeDelivery, type ChangeFeed } from '../changes/change-feed.js';
import { type EntityChangeKind, parseChange } from '../changes/platform-change.js';

/** The connection-local function the triggers call with (kind, id). */
const NOTIFY_FUNCTION = 'devgate_notify_change';

/**
 * The same changes as PostgreSQL schema step 7 (src/platform/postgres/schema/change-notify.ts),
 * as TEMP triggers: they live on this connection only, so the file's schema is untouched and
 * another program opening the file never calls a function it does not have.
 */
const TRIGGERS = `
  CREATE TEMP TRIGGER organizations_created AFTER INSERT ON organizations
    BEGIN SELECT ${NOTIFY_FUNCTION}('org', NEW.id); END;
  CREATE TEMP TRIGGER organizations_deleted AFTER DELETE ON organizations
    BEGIN SELECT ${NOTIFY_FUNCTION}('org', OLD.id); END;
  CREATE TEMP TRIGGER organizations_moved AFTER UPDATE ON organizations
    WHEN OLD.parent_id IS NOT NEW.parent_id OR OLD.type IS NOT NEW.type
    BEGIN SELECT ${NOTIFY_FUNCTION}('org', NEW.id); END;
  ${['templates:id', 'datastreams:template_id', 'template_events:template_id', 'meta_fields:template_id']
    .map((source) => {
      const [table, column] = source.split(':');
      return `
  CREATE TEMP TRIGGER ${table}_created AFTER INSERT ON ${table}
    BEGIN SELECT ${NOTIFY_FUNCTION}('template', NEW.${column}); END;
  CREATE TEMP TRIGGER ${table}_updated AFTER UPDATE ON ${table}
    BEGIN SELECT ${NOTIFY_FUNCTION}('template', OLD.${column}), ${NOTIFY_FUNCTION}('template', NEW.${column}); END;
  CREATE TEMP TRIGGER ${table}_deleted AFTER DELETE ON ${table}
    BEGIN SELECT ${NOTIFY_FUNCTION}('template', OLD.${column}); END;`;
    })
    .join('')}
  CREATE TEMP TRIGGER devices_deleted AFTER DELETE ON devices
    BEGIN SELECT ${NOTIFY_FUNCTION}('device', OLD.id); END;
  CREATE TEMP TRIGGER devices_changed AFTER UPDATE ON devices
    WHEN OLD.org_id IS NOT NEW.org_id OR OLD.token_hash IS NOT NEW.token_hash
      OR OLD.template_id IS NOT NEW.template_id OR OLD.status IS NOT NEW.status
      OR OLD.name IS NOT NEW.name OR OLD.owner_user_id IS NOT NEW.owner_user_id
      OR OLD.activated_at IS NOT NEW.activated_at
    BEGIN SELECT ${NOTIFY_FUNCTION}('device', NEW.id); END;
  CREATE TEMP TRIGGER oauth_clients_deleted AFTER DELETE ON oauth_clients
    BEGIN SELECT ${NOTIFY_FUNCTION}('oauth-client', OLD.id); END;
  CREATE TEMP TRIGGER oauth_clients_changed AFTER UPDATE ON oauth_clients
    WHEN OLD.is_active IS NOT NEW.is_active OR OLD.secret_hash IS NOT NEW.secret_hash
      OR OLD.org_id IS NOT NEW.org_id OR OLD.client_id IS NOT NEW.client_id
    BEGIN SELECT ${NOTIFY_FUNCTION}('oauth-client', NEW.id); END;
`;

/**
 * The in-process change feed of a SQLite platform (one process owns the file: decision 0012).
 * The triggers note each change while the statement runs; the notes are handed over once the
 * synchronous statement or transaction has ended (a microtask later), so a handler always reads
 * the committed state. A statement that failed after a trigger ran hands over a change that did
 * not happen: harmless, as handlers only drop or re-read.
 */
export function createSqliteChangeFeed(db: Database, logger?: Logger): ChangeFeed {
  const delivery = new ChangeDelivery(logger);
  let pending: string[] = [];
  let closed = false;
  db.function(NOTIFY_FUNCTION, { deterministic: false, varargs: false }, (kind: unknown, id: unknown) => {
    if (closed) return null;
    if (pending.length === 0) queueMicrotask(flush);
    pending.push(`${String(kind as EntityChangeKind)}:${String(id)}`);
    return null;
  });
  const flush = (): void => {
    const notes = pending;
    pending = [];
    for (const note of new Set(notes)) {
      const change = parseChange(note);
      if (change !== undefined) delivery.push(change);
    }
  };
  db.exec(TRIGGERS);
  return {
    subscribe: (handler) => delivery.subscribe(handler),
    settled: () => delivery.settled(),
    async close() {
      closed = true;
      await delivery.settled(); // no handler reads the store after it closes
    },
  };
}
