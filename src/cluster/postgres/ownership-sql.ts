/**
 * The statements of PostgresSessionOwnership. Statements that lock many rows lock them in one
 * order (`session_key COLLATE "C"`), so two nodes' batches wait for each other instead of
 * deadlocking; a deadlock that still happens (releases) is retried.
 */

import { AGO } from './membership-sql.js';

/**
 * Claims every key of a batch for node $1: keys $2 with the number of claims $3 each. A new key
 * starts at epoch n; a held one moves to epoch + n and records who held it, which RETURNING reads
 * back from the locked, latest row version (a CTE reading the old row could see a stale one).
 *
 * A key whose $4 flag is false (a resumed session) is left alone while its owner is a node whose
 * heartbeat expired by the database clock ($5 ms): that node's sessions are for its adopter, which
 * replays what its inbox still holds for them. Those keys come back with the dead owner instead of
 * an epoch. Taking such a row and handing it back later could land after the adoption and strand
 * the session with the dead node.
 */
export const CLAIM = `
  WITH input AS (
    SELECT key, n, take_from_dead FROM unnest($2::text[], $3::int[], $4::bool[]) AS i(key, n, take_from_dead)
  ), held_by_dead AS (
    SELECT c.session_key, c.node_id FROM input
    JOIN cluster_sessions c ON c.session_key = input.key
    JOIN cluster_nodes m ON m.node_id = c.node_id
    WHERE NOT input.take_from_dead AND c.node_id <> $1 AND m.heartbeat_at < ${AGO('$5')}
  ), claimed AS (
    INSERT INTO cluster_sessions AS s (session_key, node_id, epoch, claimed_at, previous_node)
    SELECT key, $1, n, now(), NULL FROM input
    WHERE key NOT IN (SELECT session_key FROM held_by_dead)
    ORDER BY key COLLATE "C"
    ON CONFLICT (session_key) DO UPDATE SET previous_node = s.node_id, node_id = EXCLUDED.node_id,
      epoch = s.epoch + EXCLUDED.epoch, claimed_at = EXCLUDED.claimed_at
    RETURNING session_key, epoch, previous_node
  )
  SELECT session_key, epoch, previous_node, NULL AS dead_owner FROM claimed
  UNION ALL SELECT session_key, NULL, NULL, node_id FROM held_by_dead`;

/** Deletes the rows ($2 keys, $3 epochs) still held by node $1 at those epochs. */
export const RELEASE = `
  DELETE FROM cluster_sessions s USING unnest($2::text[], $3::bigint[]) AS r(key, epoch)
  WHERE s.session_key = r.key AND s.epoch = r.epoch AND s.node_id = $1`;

/**
 * Moves every row of dead node $2 to node $1 at epoch + 1, with the will that node kept for it.
 * The locking subquery takes the rows in key order and re-checks each one it had to wait for, so
 * when survivors race, a row another survivor moved first is skipped: each goes to exactly one.
 * With incarnation $3, only rows claimed before a newer incarnation of that node started move (a
 * node that came back keeps its new ones).
 */
export const ADOPT = `
  UPDATE cluster_sessions s SET previous_node = s.node_id, node_id = $1, epoch = s.epoch + 1,
    claimed_at = now()
  FROM (
    SELECT session_key FROM cluster_sessions
    WHERE node_id = $2 AND claimed_at < COALESCE(
      (SELECT started_at FROM cluster_nodes WHERE node_id = $2 AND incarnation > $3::bigint),
      'infinity')
    ORDER BY session_key COLLATE "C"
    FOR UPDATE
  ) AS locked
  WHERE s.session_key = locked.session_key AND s.node_id = $2
  RETURNING s.session_key, s.epoch, CASE WHEN s.will_node = $2 THEN s.will END AS will`;

/**
 * Gives session $1, held by node $2 at epoch $3, back to node $4 at the next epoch: a claim whose
 * previous owner did not answer (dead) is undone so that owner's adopter takes the session.
 */
export const HAND_BACK = `
  UPDATE cluster_sessions SET node_id = $4, previous_node = $2, epoch = epoch + 1
  WHERE session_key = $1 AND node_id = $2 AND epoch = $3`;

/**
 * Keeps the wills ($4, encoded messages) of sessions ($2) that node $1 holds at epochs $3: the
 * wills of connected clients whose session ends with the connection, for the node adopting them
 * if this one dies. A claim since (another epoch) leaves the row alone. A will belongs to the node
 * that kept it (`will_node`): adopting a node publishes only its own, so a claim need not clear
 * the column (a claim handed back to a node that just died keeps that node's will).
 */
export const KEEP_WILLS = `
  UPDATE cluster_sessions s SET will = w.will, will_node = $1
  FROM unnest($2::text[], $3::bigint[], $4::bytea[]) AS w(key, epoch, will)
  WHERE s.session_key = w.key AND s.epoch = w.epoch AND s.node_id = $1`;

export const OWNERS_OF =
  'SELECT session_key, node_id, epoch FROM cluster_sessions WHERE session_key = ANY($1::text[])';

/** The rows node $1 owns, with the will it kept for each (see KEEP_WILLS). */
export const OWNED_ROWS = `
  SELECT session_key, epoch, CASE WHEN will_node = $1 THEN will END AS will
  FROM cluster_sessions WHERE node_id = $1 ORDER BY session_key`;

/**
 * At start, node $1 takes up the rows its previous run left: their claim time becomes now, after
 * this incarnation started, so a survivor adopting the previous incarnation (ADOPT with it) leaves
 * them to this node; a row such a survivor moved first is not returned. Locked in key order, as
 * ADOPT locks, so the two never deadlock and each row goes to exactly one of them.
 */
export const TAKE_UP = `
  UPDATE cluster_sessions s SET claimed_at = now()
  FROM (
    SELECT session_key FROM cluster_sessions WHERE node_id = $1
    ORDER BY session_key COLLATE "C"
    FOR UPDATE
  ) AS locked
  WHERE s.session_key = locked.session_key AND s.node_id = $1
  RETURNING s.session_key`;

export const STILL_OWNS =
  'SELECT 1 FROM cluster_sessions WHERE session_key = $1 AND node_id = $2 AND epoch = $3';
