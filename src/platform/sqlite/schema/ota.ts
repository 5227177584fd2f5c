import type { Database } from 'better-sqlite3';

/**
 * Platform schema step 4: Blynk.Air (spec §3.4). Firmware rows describe files kept under
 * `<data-dir>/firmware/{sha256}.bin` (one file per content, shared by rows with the same hash);
 * a shipment sends one firmware to a set of devices and tracks each device's status.
 * Rows go with their organization, firmware and device (ON DELETE CASCADE).
 */
export function otaSchema(db: Database): void {
  db.exec(`
    CREATE TABLE firmware (
      id            INTEGER PRIMARY KEY AUTOINCREMENT,
      org_id        INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      name          TEXT NOT NULL,
      size          INTEGER NOT NULL,
      sha256        TEXT NOT NULL, -- hex; also the file name
      md5           TEXT NOT NULL, -- hex
      version       TEXT, -- binary info tag 'mcu'
      fw_type       TEXT, -- 'fw-type'
      build         TEXT, -- 'build'
      blynk_version TEXT, -- 'blynk'
      created_at    INTEGER NOT NULL
    );
    CREATE INDEX firmware_by_org ON firmware (org_id, id);
    CREATE INDEX firmware_by_sha256 ON firmware (sha256);

    CREATE TABLE shipments (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      org_id      INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      firmware_id INTEGER NOT NULL REFERENCES firmware(id) ON DELETE CASCADE,
      name        TEXT NOT NULL,
      status      TEXT NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED', 'CANCELLED')),
      created_at  INTEGER NOT NULL
    );
    CREATE INDEX shipments_by_org ON shipments (org_id, id);
    CREATE INDEX shipments_by_firmware ON shipments (firmware_id);

    CREATE TABLE shipment_devices (
      shipment_id INTEGER NOT NULL REFERENCES shipments(id) ON DELETE CASCADE,
      device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
      status      TEXT NOT NULL, -- DeviceOtaStatus text
      updated_at  INTEGER NOT NULL,
      downloads   INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (shipment_id, device_id)
    ) WITHOUT ROWID;
    CREATE INDEX shipment_devices_by_device ON shipment_devices (device_id);

    -- One row per served download, for the per-device limit (spec §3.4: 3 per 24 h);
    -- rows older than the window are pruned as new ones arrive.
    CREATE TABLE ota_downloads (
      device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
      at        INTEGER NOT NULL
    );
    CREATE INDEX ota_downloads_by_device ON ota_downloads (device_id, at);
  `);
}
