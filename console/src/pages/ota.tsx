import { useEffect, useState } from 'preact/hooks';
import { api, del, get, post, qs } from '../api.js';
import { ErrorText, formatTime, useAction, useLoad } from '../components.js';
import { can, useSession } from '../session.js';
import type { Page } from '../types.js';

interface Firmware {
  id: number;
  name: string;
  size: number;
  version?: string;
  fwType?: string;
  build?: string;
  createdAt: number;
}

interface Shipment {
  id: number;
  firmwareId: number;
  name: string;
  status: 'RUNNING' | 'COMPLETED' | 'CANCELLED';
  createdAt: number;
  devices: Array<{ deviceId: number; status: string; updatedAt: number; downloads: number }>;
}

/** A running shipment's progress is asked for again this often while the page is open. */
const FOLLOW_MS = 3000;

export function OtaPage() {
  const session = useSession();
  const writer = can.write(session.role);
  const firmware = useLoad(() => get<Page<Firmware>>('/api/v1/organization/ota/firmwares?size=100'), []);
  const shipments = useLoad(() => get<Page<Shipment>>('/api/v1/organization/ota/shipments?size=20'), []);
  const running = (shipments.data?.content ?? []).some((s) => s.status === 'RUNNING');
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(shipments.reload, FOLLOW_MS);
    return () => clearInterval(timer);
  }, [running, shipments.reload]);
  const action = useAction();
  return (
    <section>
      <h1>Firmware updates (OTA)</h1>
      {writer && <Upload onDone={firmware.reload} />}
      <ErrorText error={action.error ?? firmware.error} />
      <h2>Firmware</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Size</th>
              <th scope="col">Uploaded</th>
              {writer && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {(firmware.data?.content ?? []).map((f) => (
              <tr key={f.id}>
                <td>{f.name}</td>
                <td>{f.version ?? '—'}</td>
                <td>{f.size.toLocaleString()} bytes</td>
                <td>{formatTime(f.createdAt)}</td>
                {writer && (
                  <td class="actions">
                    <Ship firmware={f} onShipped={shipments.reload} />
                    <button
                      type="button"
                      class="danger"
                      onClick={() =>
                        action
                          .run(() => del(`/api/v1/organization/ota/firmware${qs({ id: f.id })}`))
                          .then(firmware.reload)
                      }
                    >
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Shipments</h2>
      <ErrorText error={shipments.error} />
      {(shipments.data?.content ?? []).map((s) => (
        <article key={s.id} class="card">
          <h3>
            {s.name} · {s.status.toLowerCase()}
          </h3>
          <progress
            max={s.devices.length}
            value={s.devices.filter((d) => d.status === 'success').length}
            aria-label={`Devices updated in ${s.name}`}
          />
          <ul>
            {s.devices.map((d) => (
              <li key={d.deviceId}>
                Device #{d.deviceId}: {d.status} ({formatTime(d.updatedAt)})
              </li>
            ))}
          </ul>
          {writer && s.status === 'RUNNING' && (
            <button
              type="button"
              onClick={() =>
                action
                  .run(() => post(`/api/v1/organization/ota/shipment/cancel${qs({ id: s.id })}`))
                  .then(shipments.reload)
              }
            >
              Cancel shipment
            </button>
          )}
        </article>
      ))}
    </section>
  );
}

function Upload(props: { onDone: () => void }) {
  const [file, setFile] = useState<File | undefined>(undefined);
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    if (file === undefined) return;
    const ok = await action.run(() =>
      api('POST', `/api/v1/organization/ota/firmware${qs({ name: file.name })}`, file),
    );
    if (ok) props.onDone();
  };
  return (
    <form class="card inline" onSubmit={submit}>
      <label>
        Firmware file
        <input type="file" required onChange={(e) => setFile(e.currentTarget.files?.[0])} />
      </label>
      <button type="submit" disabled={action.busy || file === undefined}>
        Upload
      </button>
      <ErrorText error={action.error} />
    </form>
  );
}

function Ship(props: { firmware: Firmware; onShipped: () => void }) {
  const [ids, setIds] = useState('');
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    const deviceIds = ids
      .split(/[\s,]+/)
      .filter((s) => s !== '')
      .map(Number);
    const body = { firmwareId: props.firmware.id, deviceIds, name: props.firmware.name };
    if (await action.run(() => post('/api/v1/organization/ota/shipment', body))) {
      setIds('');
      props.onShipped();
    }
  };
  return (
    <form class="inline" onSubmit={submit}>
      <label>
        Device ids for {props.firmware.name}
        <input required placeholder="1, 2, 3" value={ids} onInput={(e) => setIds(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={action.busy}>
        Ship
      </button>
      <ErrorText error={action.error} />
    </form>
  );
}
