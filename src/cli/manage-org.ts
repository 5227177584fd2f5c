import type { Organization } from '../platform/model.js';
import { defineAction, type Resource } from './manage-action.js';
import type { OrgCreate } from './manage-api.js';
import { expectPositionals, parseId, requiredFlag, stringFlag } from './manage-args.js';
import { isoTime, keyValues, table } from './manage-output.js';

const orgColumns = [
  { title: 'id', value: (o: Organization) => o.id },
  { title: 'name', value: (o: Organization) => o.name },
  { title: 'type', value: (o: Organization) => o.type },
  { title: 'parent', value: (o: Organization) => o.parentOrganizationId },
  { title: 'tz', value: (o: Organization) => o.tz },
  { title: 'active', value: (o: Organization) => o.isActive },
];

export function orgText(org: Organization): string {
  return keyValues([
    ['id', org.id],
    ['name', org.name],
    ['type', org.type],
    ['parent', org.parentOrganizationId],
    ['description', org.description === '' ? undefined : org.description],
    ['tz', org.tz],
    ['unit system', org.unitSystem],
    ['active', org.isActive],
    ['created', isoTime(org.createdAt)],
  ]);
}

const idOnly = (args: Parameters<typeof expectPositionals>[0]): number =>
  parseId(expectPositionals(args, ['organization id'])[0], 'organization id');

export const orgResource: Resource = {
  name: 'org',
  description: "organizations (the tree below the credentials' organization)",
  actions: {
    list: defineAction({
      usage: 'list',
      summary: 'the organization and all its descendants',
      prepare: (args) => expectPositionals(args, []),
      run: async (api) => {
        const orgs = await api.orgs.list();
        return { json: orgs, text: table(orgs, orgColumns) };
      },
    }),
    get: defineAction({
      usage: 'get <id>',
      summary: 'one organization',
      prepare: idOnly,
      run: async (api, id) => {
        const org = await api.orgs.get(id);
        return { json: org, text: orgText(org) };
      },
    }),
    create: defineAction({
      usage: 'create --name <name> [--parent <id>] [--tz <zone>] [--description <text>] [--type <TYPE>]',
      summary: "a sub-organization (parent defaults to the credentials' organization)",
      flags: { name: 'string', parent: 'string', tz: 'string', description: 'string', type: 'string' },
      prepare: (args): OrgCreate => {
        expectPositionals(args, []);
        const { flags } = args;
        const parent = stringFlag(flags, 'parent');
        const optional = (name: string, key: string): Record<string, string> => {
          const value = stringFlag(flags, name);
          return value === undefined ? {} : { [key]: value };
        };
        return {
          name: requiredFlag(flags, 'name'),
          ...(parent === undefined ? {} : { parentOrganizationId: parseId(parent, '--parent') }),
          ...optional('tz', 'tz'),
          ...optional('description', 'description'),
          ...optional('type', 'type'),
        } as OrgCreate;
      },
      run: async (api, input) => {
        const org = await api.orgs.create(input);
        return { json: org, text: `created organization #${org.id}\n${orgText(org)}` };
      },
    }),
    delete: defineAction({
      usage: 'delete <id>',
      summary: 'an organization without sub-organizations or devices',
      prepare: idOnly,
      run: async (api, id) => {
        await api.orgs.delete(id);
        return { json: { deleted: id }, text: `deleted organization #${id}\n` };
      },
    }),
  },
};
