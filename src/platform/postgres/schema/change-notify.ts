import type pg from 'pg';

/**
 * PostgreSQL platform schema step 7: every committed change to a row some process keeps a copy of
 * in memory notifies channel `devgate_platform_changes` with `kind:id` (src/platform/changes/).
 * Triggers, not code in each store: the NOTIFY is part of the writing transaction whatever wrote
 * (a service, an import, a cascade from a deleted org), it is delivered on commit only, and
 * identical payloads of one transaction are sent once. Updates notify only when a column a cache
 * depends on changed (a device's connect time does not).
 */
export function changeNotifySchema(client: pg.PoolClient): Promise<unknown> {
  return client.query(`
    CREATE FUNCTION devgate_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- TG_ARGV: the change kind, the column holding the id it names.
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('devgate_platform_changes', TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[1]));
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('devgate_platform_changes', TG_ARGV[0] || ':' || (to_jsonb(NEW) ->> TG_ARGV[1]));
      END IF;
      RETURN NULL;
    END $$;

    CREATE TRIGGER organizations_changed AFTER INSERT OR DELETE ON organizations
      FOR EACH ROW EXECUTE FUNCTION devgate_notify_change('org', 'id');
    CREATE TRIGGER organizations_moved AFTER UPDATE ON organizations FOR EACH ROW
      WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id OR OLD.type IS DISTINCT FROM NEW.type)
      EXECUTE FUNCTION devgate_notify_change('org', 'id');

    CREATE TRIGGER templates_changed AFTER INSERT OR UPDATE OR DELETE ON templates
      FOR EACH ROW EXECUTE FUNCTION devgate_notify_change('template', 'id');
    CREATE TRIGGER datastreams_changed AFTER INSERT OR UPDATE OR DELETE ON datastreams
      FOR EACH ROW EXECUTE FUNCTION devgate_notify_change('template', 'template_id');
    CREATE TRIGGER template_events_changed AFTER INSERT OR UPDATE OR DELETE ON template_events
      FOR EACH ROW EXECUTE FUNCTION devgate_notify_change('template', 'template_id');
    CREATE TRIGGER meta_fields_changed AFTER INSERT OR UPDATE OR DELETE ON meta_fields
      FOR EACH ROW EXECUTE FUNCTION devgate_notify_change('template', 'template_id');

    CREATE TRIGGER devices_deleted AFTER DELETE ON devices
      FOR EACH ROW EXECUTE FUNCTION devgate_notify_change('device', 'id');
    CREATE TRIGGER devices_changed AFTER UPDATE ON devices FOR EACH ROW
      WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id OR OLD.token_hash IS DISTINCT FROM NEW.token_hash
        OR OLD.template_id IS DISTINCT FROM NEW.template_id OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.name IS DISTINCT FROM NEW.name OR OLD.owner_user_id IS DISTINCT FROM NEW.owner_user_id
        OR OLD.activated_at IS DISTINCT FROM NEW.activated_at)
      EXECUTE FUNCTION devgate_notify_change('device', 'id');

    CREATE TRIGGER oauth_clients_deleted AFTER DELETE ON oauth_clients
      FOR EACH ROW EXECUTE FUNCTION devgate_notify_change('oauth-client', 'id');
    CREATE TRIGGER oauth_clients_changed AFTER UPDATE ON oauth_clients FOR EACH ROW
      WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active OR OLD.secret_hash IS DISTINCT FROM NEW.secret_hash
        OR OLD.org_id IS DISTINCT FROM NEW.org_id OR OLD.client_id IS DISTINCT FROM NEW.client_id)
      EXECUTE FUNCTION devgate_notify_change('oauth-client', 'id');
  `);
}
