import type { ServerConfig } from '../config/server-config.js';
import type { DevgateServer } from '../server.js';

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function authLine(config: ServerConfig): string {
  const { allowAnonymous, passwordFile } = config.auth;
  if (passwordFile !== undefined) {
    return `password file ${passwordFile}${allowAnonymous ? ' (anonymous clients allowed)' : ''}`;
  }
  if (allowAnonymous) return 'anonymous clients allowed (no password file)';
  return 'NO CREDENTIALS CONFIGURED: every client is refused (use --allow-anonymous or --password-file)';
}

/** The summary row naming the socket worker processes, when there are any (decision 0006). */
export function socketWorkersRow(server: DevgateServer): Array<[string, string]> {
  const pids = server.socketWorkers?.pids;
  if (pids === undefined) return [];
  return [
    [
      'sockets',
      `${pids.length} socket worker processes (pids ${pids.join(', ')}) hold the MQTT TCP/TLS sockets`,
    ],
  ];
}

/** The summary row naming the listeners that require a PROXY protocol header (decision 0027). */
export function proxyProtocolRow(config: ServerConfig, server: DevgateServer): Array<[string, string]> {
  const { mqtt, mqtts, http, https } = server.addresses;
  const bound = {
    mqtt: mqtt !== undefined,
    mqtts: mqtts !== undefined,
    http: http !== undefined,
    https: https.length > 0,
  };
  const listeners = (config.proxyProtocol ?? []).filter((name) => bound[name]);
  if (listeners.length === 0) return [];
  const from = config.proxyProtocolFrom === undefined ? 'any source' : config.proxyProtocolFrom.join(', ');
  return [['proxy', `PROXY protocol header required on ${listeners.join(', ')} (from ${from})`]];
}

/** The short human summary the CLI prints once the listeners are bound. */
export function startupSummary(version: string, config: ServerConfig, server: DevgateServer): string {
  const host = hostForUrl(config.host);
  const { mqtt, mqtts, http, https } = server.addresses;
  const rows: Array<[string, string]> = [['data dir', config.dataDir]];
  if (mqtt !== undefined) rows.push(['mqtt', `mqtt://${host}:${mqtt}`]);
  if (mqtts !== undefined) rows.push(['mqtts', `mqtts://${host}:${mqtts}`]);
  if (http !== undefined) rows.push(['ws', `ws://${host}:${http}/mqtt`]);
  if (https.length > 0) rows.push(['wss', https.map((port) => `wss://${host}:${port}/mqtt`).join(', ')]);
  if (server.tlsCertPath !== undefined) {
    rows.push([
      'tls cert',
      `${server.tlsCertPath}${server.tlsSelfSigned ? ' (self-signed, development only)' : ''}`,
    ]);
  }
  rows.push(...socketWorkersRow(server));
  rows.push(...proxyProtocolRow(config, server));
  rows.push(['auth', authLine(config)]);
  rows.push(['acl', config.auth.aclFile ?? 'none (everything allowed)']);
  rows.push([
    'persistence',
    config.persistence ? 'on' : 'off (sessions and retained messages are lost on exit)',
  ]);
  const body = rows.map(([name, value]) => `  ${name.padEnd(12)} ${value}`).join('\n');
  return `devgate ${version} broker running\n${body}\nPress Ctrl+C to stop.\n`;
}
