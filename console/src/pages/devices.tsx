import { useEffect, useState } from 'preact/hooks';
import { get, qs } from '../api.js';
import { ErrorText, formatTime, Link, Pager, useLoad } from '../components.js';
import { can, useSession } from '../session.js';
import type { Device, Page, Template } from '../types.js';
import { NewDevice } from './device-create.js';

/** The server pages (50 a page): the console never loads a whole fleet. */
export const DEVICE_PAGE_SIZE = 50;

/** The server's presence (spec §5.10: a device stays online for its template's offline delay). */
export function isOnline(device: Device): boolean {
  return device.isHardwareConnected === true;
}

export function lastSeen(device: Device): number | undefined {
  return device.lastSeenAt ?? undefined;
}

function devicesUrl(search: string, page: number): string {
  const paging = { page, size: DEVICE_PAGE_SIZE };
  return search === ''
    ? `/api/v1/organization/devices${qs({ includeSubOrgDevices: true, ...paging })}`
    : `/api/v1/organization/search/devices${qs({ query: search, ...paging })}`;
}

export function useTemplateNames(): Map<number, string> {
  const templates = useLoad(() => get<Page<Template>>('/api/v1/organization/templates?size=1000'), []);
  return new Map((templates.data?.content ?? []).map((t) => [t.id, t.name]));
}

export function DevicesPage() {
  const session = useSession();
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(0);
  // Search as one types, once typing pauses: one request, not one a key.
  useEffect(() => {
    const timer = setTimeout(() => {
      setSearch(typed.trim());
      setPage(0);
    }, 250);
    return () => clearTimeout(timer);
  }, [typed]);
  const devices = useLoad(() => get<Page<Device>>(devicesUrl(search, page)), [search, page]);
  const { reload } = devices;
  const templateNames = useTemplateNames();
  const orgNames = new Map(session.orgs.map((o) => [o.id, o.name]));
  return (
    <section>
      <h1>Devices</h1>
      {can.write(session.role) && <NewDevice templates={templateNames} onCreated={reload} />}
      <label class="search">
        Search devices
        <input type="search" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
      </label>
      <ErrorText error={devices.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Last seen</th>
              <th scope="col">Template</th>
              <th scope="col">Organization</th>
            </tr>
          </thead>
          <tbody>
            {(devices.data?.content ?? []).map((device) => (
              <tr key={device.id}>
                <td>
                  <Link href={`/devices/${device.id}`}>{device.name}</Link>
                </td>
                <td>
                  <span class={isOnline(device) ? 'badge online' : 'badge offline'}>
                    {isOnline(device) ? 'online' : 'offline'}
                  </span>
                </td>
                <td>{isOnline(device) ? 'now' : formatTime(lastSeen(device))}</td>
                <td>{templateNames.get(device.templateId) ?? `#${device.templateId}`}</td>
                <td>{orgNames.get(device.orgId) ?? `#${device.orgId}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {devices.data !== undefined && devices.data.totalElements === 0 && <p>No devices.</p>}
      {devices.data !== undefined && (
        <Pager page={page} size={DEVICE_PAGE_SIZE} total={devices.data.totalElements} onPage={setPage} />
      )}
    </section>
  );
}
