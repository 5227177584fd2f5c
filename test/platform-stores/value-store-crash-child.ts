/**
 * Child process of the value store's crash test: writes the points given on the command line
 * through the SQLite value store, waits until each write settled (when a QoS 1 PUBACK would be
 * sent), reports it, then kills itself: no flush, no merge, no close.
 * argv: <file> <deviceId> <JSON ValuePoint[][]> (one write per inner array).
 */
import type { ValuePoint } from '../../src/platform/devices/value-store.js';
import { openPlatformDatabase } from '../../src/platform/sqlite/database.js';
import { createSqliteValueStore } from '../../src/platform/sqlite/sqlite-value-store.js';

const [file, deviceId, writes] = process.argv.slice(2);
const values = createSqliteValueStore(openPlatformDatabase(file ?? ''));
const settled = await Promise.all(
  (JSON.parse(writes ?? '[]') as ValuePoint[][]).map((points) => values.write(Number(deviceId), points)),
);
process.stdout.write(`${JSON.stringify(settled)}\n`, () => process.kill(process.pid, 'SIGKILL'));
