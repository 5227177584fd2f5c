import { get } from '../api.js';
import { ErrorText, formatTime, Link, useLoad } from '../components.js';

interface GatewaySession {
  sessionId: string | number;
  clientId: string;
  login: 'oauth' | 'mgmt_device';
  orgId: number;
  connectedAt: number;
  remoteAddress?: string;
  devices: Array<{ deviceId: number; name: string; lastActiveAt: number }>;
}

export function GatewaysPage() {
  const gateways = useLoad(() => get<GatewaySession[]>('/api/v1/organization/gateways'), []);
  return (
    <section>
      <h1>
        Gateways{' '}
        <button type="button" onClick={gateways.reload}>
          Refresh
        </button>
      </h1>
      <ErrorText error={gateways.error} />
      {gateways.data?.length === 0 && <p class="muted">No gateway is connected.</p>}
      {(gateways.data ?? []).map((g) => (
        <article key={String(g.sessionId)} class="card">
          <h2>{g.clientId}</h2>
          <p class="muted">
            {g.login === 'oauth' ? 'OAuth client' : 'management device'} · connected{' '}
            {formatTime(g.connectedAt)}
            {g.remoteAddress ? ` from ${g.remoteAddress}` : ''}
          </p>
          {g.devices.length === 0 ? (
            <p class="muted">No device activity yet.</p>
          ) : (
            <ul>
              {g.devices.map((d) => (
                <li key={d.deviceId}>
                  <Link href={`/devices/${d.deviceId}`}>{d.name}</Link> · last active{' '}
                  {formatTime(d.lastActiveAt)}
                </li>
              ))}
            </ul>
          )}
        </article>
      ))}
    </section>
  );
}
