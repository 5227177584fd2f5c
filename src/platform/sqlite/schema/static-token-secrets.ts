import type { Database } from 'better-sqlite3';
import { hashDeviceToken, sealDeviceToken } from '../../devices/device-token.js';

interface ClearRow {
  id: number;
  token: string;
  org_id: number;
  product_id: number;
  device_id: number;
  status: string;
  owner_id: number | null;
  claimed_org_id: number | null;
  created_at: number;
}

const SEQUENCE = "SELECT seq FROM sqlite_sequence WHERE name = 'static_tokens'";

/** The static token table as schema 6 has it: the QR token stored like a device token. */
const TABLE = `
  CREATE TABLE static_tokens_sealed (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash     TEXT NOT NULL UNIQUE, -- sha256 hex of the QR token sqr_…, the lookup key
    token_enc      BLOB NOT NULL,        -- AES-256-GCM under the platform key (shown in lists)
    org_id         INTEGER NOT NULL REFERENCES organizations(id),
    product_id     INTEGER NOT NULL REFERENCES templates(id),
    device_id      INTEGER NOT NULL UNIQUE REFERENCES devices(id) ON DELETE CASCADE,
    status         TEXT NOT NULL CHECK (status IN ('CLAIMED', 'UNCLAIMED')),
    owner_id       INTEGER,
    claimed_org_id INTEGER, -- a record of the claim, not a live link
    created_at     INTEGER NOT NULL
  )`;

/**
 * Migration 6: static (QR) tokens were kept in clear text; they become `token_hash` + `token_enc`
 * like device tokens (spec §9 "Tokens and secrets"), under the same key. Converting rows needs
 * that key: without one only an empty table can be converted. The table is rebuilt (a UNIQUE
 * column cannot be dropped) with secure_delete on, so the freed pages that held the clear tokens
 * are overwritten with zeros; the caller truncates the WAL afterwards (`scrubs`).
 */
export function sealStaticTokens(tokenKey: Buffer | undefined): (db: Database) => void {
  return (db) => {
    const rows = db.prepare('SELECT * FROM static_tokens ORDER BY id').all() as ClearRow[];
    const sequence = db.prepare(SEQUENCE).get() as { seq: number } | undefined;
    if (rows.length > 0 && tokenKey === undefined)
      throw new Error('static tokens stored in clear text need the secret key to be converted');
    db.exec(TABLE);
    const insert = db.prepare(`
      INSERT INTO static_tokens_sealed (id, token_hash, token_enc, org_id, product_id, device_id,
        status, owner_id, claimed_org_id, created_at)
      VALUES (@id, @tokenHash, @tokenEnc, @org_id, @product_id, @device_id, @status, @owner_id,
        @claimed_org_id, @created_at)`);
    for (const { token, ...row } of rows) {
      const tokenHash = hashDeviceToken(token);
      insert.run({ ...row, tokenHash, tokenEnc: sealDeviceToken(tokenKey as Buffer, token, tokenHash) });
    }
    db.exec(`
      DROP TABLE static_tokens;
      ALTER TABLE static_tokens_sealed RENAME TO static_tokens;
      CREATE INDEX static_tokens_by_org ON static_tokens (org_id, id);
    `);
    // Ids are never reused (AUTOINCREMENT): the copy would restart after its highest row.
    db.prepare("DELETE FROM sqlite_sequence WHERE name = 'static_tokens'").run();
    if (sequence !== undefined)
      db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('static_tokens', ?)").run(sequence.seq);
  };
}
