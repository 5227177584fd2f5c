import type { AdminCredentials } from '../platform/bootstrap.js';
import type { DemoData } from './demo.js';

/** Where the printed commands should point. */
export interface DemoEndpoints {
  /** Host to connect to (a wildcard bind address is shown as 127.0.0.1). */
  readonly host: string;
  readonly mqttPort?: number;
  readonly httpPort?: number;
  readonly admin: AdminCredentials;
}

/** A titled group of copy-paste shell commands. */
export interface CommandGroup {
  readonly title: string;
  readonly commands: readonly string[];
}

/** Single-quotes a shell word unless it is made only of safe characters. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The host a client should use for a bind address. */
export function connectHost(bindHost: string): string {
  if (bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '') return '127.0.0.1';
  return bindHost;
}

function mqttGroups(demo: DemoData, at: DemoEndpoints, port: number): CommandGroup[] {
  const [first, second, third] = demo.devices;
  if (first === undefined || second === undefined || third === undefined) return [];
  const base = `-h ${shellQuote(at.host)} -p ${port}`;
  const device = (token: string): string => `${base} -u device -P ${shellQuote(token)}`;
  const gateway = `${base} -u ${shellQuote(at.admin.clientId)} -P ${shellQuote(at.admin.clientSecret)}`;
  // One live connection per device token: the listener and the publisher are different devices.
  // The HTTP write gives the listener something to print: a downlink for its Set Temperature (V2).
  const httpWrite =
    at.httpPort === undefined
      ? []
      : [
          `curl -s ${shellQuote(`http://${at.host}:${at.httpPort}/external/api/update?token=${first.token}&v2=22.5`)}`,
        ];
  return [
    {
      title: `Device API: ${first.name} listens for downlinks, ${second.name} sends a value, the HTTP API writes one to ${first.name}`,
      commands: [
        `mosquitto_sub ${device(first.token)} -t 'downlink/#' -v`,
        `mosquitto_pub ${device(second.token)} -t ds/Temperature -m 21.5`,
        ...httpWrite,
      ],
    },
    {
      title: `Gateway API (admin OAuth client) on behalf of ${third.name}`,
      commands: [
        `mosquitto_sub ${gateway} -t ${shellQuote(`dev/${third.token}/downlink/#`)} -v`,
        `mosquitto_pub ${gateway} -t ${shellQuote(`dev/${third.token}/ds/Power`)} -m 1`,
      ],
    },
  ];
}

function httpGroup(at: DemoEndpoints, port: number): CommandGroup {
  const client = `${at.admin.clientId}:${at.admin.clientSecret}`;
  return {
    title: 'Platform API: get an access token',
    commands: [
      `curl -s -u ${shellQuote(client)} -d grant_type=client_credentials http://${at.host}:${port}/oauth2/token`,
    ],
  };
}

/** Copy-paste commands for the demo devices, using the bound ports. */
export function demoCommands(demo: DemoData, at: DemoEndpoints): CommandGroup[] {
  const groups = at.mqttPort === undefined ? [] : mqttGroups(demo, at, at.mqttPort);
  if (at.httpPort !== undefined) groups.push(httpGroup(at, at.httpPort));
  return groups;
}

/** The human-readable demo block printed at start-up. */
export function demoText(demo: DemoData, groups: readonly CommandGroup[], demoPath: string): string {
  const lines = [`Demo template ${demo.templateId} (${demo.datastreams.length} datastreams):`];
  for (const ds of demo.datastreams) lines.push(`  V${ds.pin}  ${ds.name.padEnd(16)} ${ds.type}`);
  lines.push('Demo devices (tokens are secrets):');
  for (const device of demo.devices) lines.push(`  #${device.id}  ${device.name.padEnd(14)} ${device.token}`);
  if (groups.length === 0) lines.push('(MQTT over TCP is off: no mosquitto commands to show)');
  for (const group of groups) lines.push('', `${group.title}:`, ...group.commands.map((c) => `  ${c}`));
  lines.push('', `The same is in ${demoPath}`);
  return `${lines.join('\n')}\n`;
}

/**
 * What later starts print instead of the demo block: where the tokens and the admin secret are,
 * never the secrets themselves (they were printed once, when created).
 */
export function demoReminder(demoPath: string, adminCredentialsPath: string): string {
  return `demo credentials: ${demoPath}\nadmin credentials: ${adminCredentialsPath}\n`;
}
