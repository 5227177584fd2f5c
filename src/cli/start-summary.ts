import type { StartConfig } from '../config/start-config.js';
import type { AdminBootstrap } from '../platform/admin-bootstrap.js';
import type { DevgateServer } from '../server.js';
import { proxyProtocolRow, socketWorkersRow } from './summary.js';

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function listenerRows(config: StartConfig, server: DevgateServer): Array<[string, string]> {
  const host = hostForUrl(config.server.host);
  const { mqtt, mqtts, http, https } = server.addresses;
  const rows: Array<[string, string]> = [['data dir', config.server.dataDir]];
  if (mqtt !== undefined) rows.push(['mqtt', `mqtt://${host}:${mqtt}`]);
  if (mqtts !== undefined) rows.push(['mqtts', `mqtts://${host}:${mqtts}`]);
  if (http !== undefined) rows.push(['http', `http://${host}:${http} (API; MQTT over WebSocket at /mqtt)`]);
  if (https.length > 0) rows.push(['https', https.map((port) => `https://${host}:${port}`).join(', ')]);
  if (server.tlsCertPath !== undefined) {
    const note = server.tlsSelfSigned ? ' (self-signed, development only)' : '';
    rows.push(['tls cert', `${server.tlsCertPath}${note}`]);
  }
  rows.push(...socketWorkersRow(server));
  rows.push(...proxyProtocolRow(config.server, server));
  return rows;
}

/** The web console's addresses: the same listeners as the API (decision 0026). */
function consoleRows(config: StartConfig, server: DevgateServer): Array<[string, string]> {
  const host = hostForUrl(consoleHost(config.server.host));
  const { http, https } = server.addresses;
  const urls = [
    ...(http === undefined ? [] : [`http://${host}:${http}/`]),
    ...https.map((port) => `https://${host}:${port}/`),
  ];
  return urls.length === 0 ? [] : [['console', urls.join(', ')]];
}

/** A wildcard bind address is not one a browser can open: show the loopback name instead. */
function consoleHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
}

/** The human summary `devgate start` prints once the listeners are bound. Never prints a secret. */
export function startSummary(
  version: string,
  config: StartConfig,
  server: DevgateServer,
  admin: AdminBootstrap,
): string {
  const rows = listenerRows(config, server);
  rows.push([
    'organization',
    `${admin.root.name} (#${admin.root.id})${admin.rootCreated ? ', created now' : ''}`,
  ]);
  rows.push(...consoleRows(config, server));
  const credentials = admin.clientCreated ? 'new admin OAuth client written to' : 'admin OAuth client in';
  rows.push(['admin', `${credentials} ${admin.credentialsPath} (owner-only; keep it secret)`]);
  const email = admin.credentials.email;
  if (email !== undefined) {
    const made = admin.userCreated ? 'created now; ' : '';
    rows.push(['console user', `${email} (${made}its password is in ${admin.credentialsPath})`]);
  }
  rows.push([
    'persistence',
    config.server.persistence ? 'on' : 'off (MQTT sessions and retained messages are lost on exit)',
  ]);
  const body = rows.map(([name, value]) => `  ${name.padEnd(12)} ${value}`).join('\n');
  return `devgate ${version} running\n${body}\n`;
}
