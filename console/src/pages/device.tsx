import { useState } from 'preact/hooks';
import { get, qs } from '../api.js';
import { ErrorText, formatTime, Link, useLoad } from '../components.js';
import { useLive } from '../live.js';
import { can, useSession } from '../session.js';
import type { DataStream, DataStreamValue, DeviceDetails, DeviceEvent, Page, Value } from '../types.js';
import { DatastreamControl, isWritable } from './device-controls.js';
import { DeviceManage } from './device-manage.js';
import { DeviceMetadata } from './device-metadata.js';
import { DeviceToken } from './device-token.js';
import { HistoryChart } from './history-chart.js';

interface Current {
  value: Value;
  updatedAt: number | null;
}

function formatValue(value: Value | undefined, ds: DataStream): string {
  if (value === undefined || value === null) return '—';
  if (Array.isArray(value)) return value.join(', ');
  if (ds.type === 'Boolean') return value === true || value === 1 || value === '1' ? 'on' : 'off';
  if (ds.type === 'Enum') return ds.enumValues?.find((e) => e.value === value)?.label ?? String(value);
  return ds.units ? `${value} ${ds.units}` : String(value);
}

function byId(values: readonly DataStreamValue[]): Map<number, Current> {
  return new Map(values.map((v) => [v.dataStreamId, { value: v.value, updatedAt: v.updatedAt }]));
}

/**
 * The newer of the shown value and `v`: an import or a timestamped batch streams older points
 * (with their own time), which are history, not the current value.
 */
function withValue(current: Map<number, Current>, v: DataStreamValue): Map<number, Current> {
  const shown = current.get(v.dataStreamId);
  if (shown?.updatedAt != null && v.updatedAt != null && v.updatedAt < shown.updatedAt) return current;
  return new Map(current).set(v.dataStreamId, { value: v.value, updatedAt: v.updatedAt });
}

export function DevicePage(props: { deviceId: number }) {
  const { deviceId } = props;
  const session = useSession();
  const device = useLoad(
    () => get<DeviceDetails>(`/api/v1/organization/device${qs({ deviceId })}`),
    [deviceId],
  );
  const templateId = device.data?.templateId;
  const datastreams = useLoad(
    async () =>
      templateId === undefined
        ? []
        : get<DataStream[]>(`/api/v1/organization/template/datastreams${qs({ templateId })}`),
    [templateId],
  );
  const [values, setValues] = useState<Map<number, Current> | undefined>(undefined);
  const [connected, setConnected] = useState<boolean | undefined>(undefined);
  const [events, setEvents] = useState<DeviceEvent[]>([]);
  const [liveState, setLiveState] = useState('connecting');
  const [chartKey, setChartKey] = useState(0);
  const [lastLive, setLastLive] = useState<DataStreamValue | undefined>(undefined);
  useLive(deviceId, {
    snapshot: (snapshot, isConnected) => {
      setValues(byId(snapshot));
      if (isConnected !== undefined) setConnected(isConnected);
    },
    value: (v) => {
      setValues((old) => withValue(old ?? byId(device.data?.dataStreamValues ?? []), v));
      setLastLive(v);
    },
    online: (isConnected) => setConnected(isConnected),
    event: (e) => setEvents((old) => [e, ...old].slice(0, 50)),
    status: setLiveState,
  });
  if (device.error !== undefined) return <ErrorText error={device.error} />;
  const d = device.data;
  if (d === undefined) return <p class="loading">Loading…</p>;
  const current = values ?? byId(d.dataStreamValues ?? []);
  const online = connected ?? d.isHardwareConnected ?? false;
  const readOnly = !can.write(session.role);
  return (
    <article class="device">
      <p>
        <Link href="/devices">← Devices</Link>
      </p>
      <h1>{d.name}</h1>
      <p class="status-line">
        <span class={online ? 'badge online' : 'badge offline'} data-testid="presence">
          {online ? 'online' : 'offline'}
        </span>{' '}
        <span class="muted" data-testid="live-state">
          live updates: {liveState}
        </span>
      </p>
      <section aria-labelledby="values-title">
        <h2 id="values-title">Datastreams</h2>
        <ErrorText error={datastreams.error} />
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Pin</th>
                <th scope="col">Value</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {(datastreams.data ?? []).map((ds) => {
                const v = ds.id === undefined ? undefined : current.get(ds.id);
                return (
                  <tr key={ds.id} data-datastream={ds.name}>
                    <th scope="row">{ds.name}</th>
                    <td>V{ds.pin}</td>
                    <td class="value" data-testid={`value-${ds.name}`}>
                      {formatValue(v?.value, ds)}
                    </td>
                    <td>{formatTime(v?.updatedAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="controls-title">
        <h2 id="controls-title">Controls</h2>
        {readOnly && <p class="muted">Your role can only read this device.</p>}
        <div class="controls">
          {(datastreams.data ?? []).filter(isWritable).map((ds) => (
            <DatastreamControl
              key={ds.id}
              deviceId={deviceId}
              ds={ds}
              value={ds.id === undefined ? undefined : current.get(ds.id)?.value}
              disabled={readOnly}
            />
          ))}
        </div>
      </section>
      <section aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        <button type="button" class="small" onClick={() => setChartKey((n) => n + 1)}>
          Refresh chart
        </button>
        {datastreams.data !== undefined && (
          <HistoryChart
            deviceId={deviceId}
            datastreams={datastreams.data}
            refreshKey={chartKey}
            {...(lastLive === undefined ? {} : { live: lastLive })}
          />
        )}
      </section>
      <Events deviceId={deviceId} live={events} />
      <DeviceMetadata deviceId={deviceId} fields={d.metaFieldValues ?? []} editable={!readOnly} />
      <DeviceFacts device={d} />
      {!readOnly && (
        <DeviceManage key={deviceId} deviceId={deviceId} name={d.name} onRenamed={device.reload} />
      )}
      {can.manage(session.role) && <DeviceToken deviceId={deviceId} />}
    </article>
  );
}

function Events(props: { deviceId: number; live: DeviceEvent[] }) {
  const logged = useLoad(
    () =>
      get<Page<DeviceEvent>>(
        `/api/v1/organization/device/events${qs({ deviceId: props.deviceId, size: 20 })}`,
      ),
    [props.deviceId],
  );
  const seen = new Set(props.live.map((e) => e.id));
  const all = [...props.live, ...(logged.data?.content ?? []).filter((e) => !seen.has(e.id))].slice(0, 50);
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <ErrorText error={logged.error} />
      {all.length === 0 ? (
        <p class="muted">No events.</p>
      ) : (
        <ul class="events">
          {all.map((e) => (
            <li key={e.id}>
              <time>{formatTime(e.ts)}</time> <strong>{e.eventCode}</strong>
              {e.eventType ? ` (${e.eventType})` : ''} {e.description ?? ''}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DeviceFacts(props: { device: DeviceDetails }) {
  const d = props.device;
  const hw = d.hardwareInfo ?? {};
  const hardware: Array<[string, string | number | undefined]> = [
    ['Firmware version', hw.version],
    ['Firmware type', hw.fwType],
    ['Board', hw.boardType],
    ['Build', hw.build],
    ['Library version', hw.blynkVersion],
    ['Receive buffer', hw.rxbuff],
  ];
  return (
    <section aria-labelledby="hardware-title">
      <h2 id="hardware-title">Hardware</h2>
      <dl class="facts">
        {hardware.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value ?? '—'}</dd>
          </div>
        ))}
        <div>
          <dt>Template</dt>
          <dd>
            {d.templateName ?? `#${d.templateId}`}
            {d.blynkTemplateId ? ` (${d.blynkTemplateId})` : ''}
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>{d.status}</dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd>{formatTime(d.lastSeenAt)}</dd>
        </div>
        <div>
          <dt>Last connected</dt>
          <dd>{formatTime(d.connectTime)}</dd>
        </div>
        <div>
          <dt>Last disconnected</dt>
          <dd>{formatTime(d.disconnectTime)}</dd>
        </div>
        <div>
          <dt>IP address</dt>
          <dd>{d.ip ?? '—'}</dd>
        </div>
      </dl>
    </section>
  );
}
