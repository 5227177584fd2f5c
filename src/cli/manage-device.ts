import type { Device } from '../platform/model.js';
import { defineAction, type Resource } from './manage-action.js';
import {
  expectPositionals,
  type ParsedArgs,
  parseId,
  parseTemplateRef,
  requiredFlag,
  stringFlag,
} from './manage-args.js';
import { isoTime, keyValues, table } from './manage-output.js';

const deviceColumns = [
  { title: 'id', value: (d: Device) => d.id },
  { title: 'name', value: (d: Device) => d.name },
  { title: 'template', value: (d: Device) => d.templateId },
  { title: 'org', value: (d: Device) => d.orgId },
  { title: 'status', value: (d: Device) => d.status },
  { title: 'last connect', value: (d: Device) => isoTime(d.connectTime) },
];

export function deviceText(device: Device): string {
  return keyValues([
    ['id', device.id],
    ['name', device.name],
    ['template', device.templateId],
    ['org', device.orgId],
    ['status', device.status],
    ['owner', device.ownerUserId ?? undefined],
    ['firmware', device.hardwareInfo?.version],
    ['board', device.hardwareInfo?.boardType],
    ['first connect', isoTime(device.firstConnectTime)],
    ['last connect', isoTime(device.connectTime)],
    ['last disconnect', isoTime(device.disconnectTime)],
    ['ip', device.ip],
    ['created', isoTime(device.createdAt)],
  ]);
}

const idOnly = (args: ParsedArgs): number => parseId(expectPositionals(args, ['device id'])[0], 'device id');

function optionalOrg(args: ParsedArgs): { orgId?: number } {
  const org = stringFlag(args.flags, 'org');
  return org === undefined ? {} : { orgId: parseId(org, '--org') };
}

export const deviceResource: Resource = {
  name: 'device',
  description: 'devices and their auth tokens',
  actions: {
    list: defineAction({
      usage: 'list [--org <id>] [--no-sub-orgs]',
      summary: "devices of an organization (default: the credentials' one) and its sub-organizations",
      flags: { org: 'string', 'no-sub-orgs': 'boolean' },
      prepare: (args) => {
        expectPositionals(args, []);
        return { ...optionalOrg(args), includeSubOrgDevices: args.flags['no-sub-orgs'] !== true };
      },
      run: async (api, query) => {
        const devices = await api.devices.list(query);
        return { json: devices, text: table(devices, deviceColumns) };
      },
    }),
    get: defineAction({
      usage: 'get <id>',
      summary: 'one device',
      prepare: idOnly,
      run: async (api, id) => {
        const device = await api.devices.get(id);
        return { json: device, text: deviceText(device) };
      },
    }),
    create: defineAction({
      usage: 'create --template <id|TMPL…> --name <name> [--org <id>]',
      summary: 'a device and its auth token',
      flags: { template: 'string', name: 'string', org: 'string' },
      prepare: (args) => {
        expectPositionals(args, []);
        const templateId = parseTemplateRef(requiredFlag(args.flags, 'template'));
        return { templateId, name: requiredFlag(args.flags, 'name'), ...optionalOrg(args) };
      },
      run: async (api, input) => {
        const { device, token } = await api.devices.create(input);
        const text = `created device #${device.id}\n${deviceText(device)}token: ${token}\n`;
        return { json: { ...device, token }, text };
      },
    }),
    token: defineAction({
      usage: 'token <id>',
      summary: "print the device's auth token (a secret)",
      prepare: idOnly,
      run: async (api, id) => {
        const token = await api.devices.token(id);
        return { json: { id, token }, text: `${token}\n` };
      },
    }),
    'rotate-token': defineAction({
      usage: 'rotate-token <id>',
      summary: 'give the device a new token; the old one stops working at once',
      prepare: idOnly,
      run: async (api, id) => {
        const token = await api.devices.rotateToken(id);
        return { json: { id, token }, text: `${token}\n` };
      },
    }),
    delete: defineAction({
      usage: 'delete <id>',
      summary: 'a device with its data',
      prepare: idOnly,
      run: async (api, id) => {
        await api.devices.delete(id);
        return { json: { deleted: id }, text: `deleted device #${id}\n` };
      },
    }),
  },
};
