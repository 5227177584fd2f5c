/**
 * The statements of PostgresMembership. Every time is the database's `now()`, never a node's
 * clock, so skew between nodes does not matter. `$ms` parameters are milliseconds.
 */

/** The database time `param` milliseconds ago. */
export const AGO = (param: string) => `now() - ${param}::float8 * interval '1 millisecond'`;

/** A node joins: a new row at incarnation 1, or the next incarnation of its old row. */
export const JOIN = `
  INSERT INTO cluster_nodes AS n (node_id, incarnation, started_at, heartbeat_at, address)
  VALUES ($1, 1, now(), now(), $2)
  ON CONFLICT (node_id) DO UPDATE SET incarnation = n.incarnation + 1, started_at = now(),
    heartbeat_at = now(), address = EXCLUDED.address
  RETURNING incarnation`;

/**
 * A fenced node joins again: only over its own incarnation ($3) or an expired row, so a second
 * process started with the same node id is not pushed out (this one stays fenced instead). A row
 * deleted meanwhile comes back at $3 + 1, so this process's incarnations never repeat.
 */
export const REJOIN = `
  INSERT INTO cluster_nodes AS n (node_id, incarnation, started_at, heartbeat_at, address)
  VALUES ($1, $3::bigint + 1, now(), now(), $2)
  ON CONFLICT (node_id) DO UPDATE SET incarnation = GREATEST(n.incarnation, $3::bigint) + 1,
    started_at = now(), heartbeat_at = now(), address = EXCLUDED.address
  WHERE n.incarnation = $3 OR n.heartbeat_at < ${AGO('$4')}
  RETURNING incarnation`;

/**
 * A heartbeat extends the row only while it is this incarnation's and not yet expired: once a
 * survivor may have seen it dead (heartbeat older than deadAfterMs by the same clock), it is
 * never revived, so the node fences itself instead of living on beside its adopter.
 */
export const HEARTBEAT = `
  UPDATE cluster_nodes SET heartbeat_at = now()
  WHERE node_id = $1 AND incarnation = $2 AND heartbeat_at >= ${AGO('$3')}`;

/** Other nodes whose heartbeat expired. */
export const EXPIRED = `
  SELECT node_id, incarnation FROM cluster_nodes
  WHERE node_id <> $1 AND heartbeat_at < ${AGO('$2')}`;

/**
 * Forgets nodes expired long ago that own no session any more (their sessions were adopted), so
 * node ids that never come back (one per replaced container) do not pile up.
 */
export const FORGET = `
  DELETE FROM cluster_nodes n
  WHERE heartbeat_at < ${AGO('$1')}
    AND NOT EXISTS (SELECT 1 FROM cluster_sessions s WHERE s.node_id = n.node_id)`;

export const LIVE = `SELECT node_id FROM cluster_nodes WHERE heartbeat_at >= ${AGO('$1')} ORDER BY node_id`;

/**
 * A graceful exit: the row's heartbeat is set to long ago, so the survivors see the node dead at
 * once and one adopts its sessions (made durable before) and reads what its inbox still holds
 * for them, as after a death. FORGET deletes the row once it owns nothing.
 */
export const LEAVE = `
  UPDATE cluster_nodes SET heartbeat_at = '-infinity' WHERE node_id = $1 AND incarnation = $2`;
