import type { OAuthClient } from '../platform/model.js';
import { defineAction, type Resource } from './manage-action.js';
import { expectPositionals, type ParsedArgs, parseId, requiredFlag, stringFlag } from './manage-args.js';
import { isoTime, keyValues, table } from './manage-output.js';

const clientColumns = [
  { title: 'id', value: (c: OAuthClient) => c.id },
  { title: 'client id', value: (c: OAuthClient) => c.clientId },
  { title: 'name', value: (c: OAuthClient) => c.name },
  { title: 'org', value: (c: OAuthClient) => c.orgId },
  { title: 'active', value: (c: OAuthClient) => c.isActive },
];

function clientText(client: OAuthClient): string {
  return keyValues([
    ['id', client.id],
    ['client id', client.clientId],
    ['name', client.name],
    ['org', client.orgId],
    ['active', client.isActive],
    ['created', isoTime(client.createdAt)],
  ]);
}

const idOnly = (args: ParsedArgs): number =>
  parseId(expectPositionals(args, ['OAuth client id (the number)'])[0], 'OAuth client id');

function setActive(active: boolean) {
  return defineAction({
    usage: `${active ? 'enable' : 'disable'} <id>`,
    summary: active
      ? 'let the client get tokens and connect again'
      : 'stop the client from getting tokens and connecting',
    prepare: idOnly,
    run: async (api, id) => {
      const client = await api.oauthClients.setActive(id, active);
      return {
        json: client,
        text: `${active ? 'enabled' : 'disabled'} OAuth client #${id}\n${clientText(client)}`,
      };
    },
  });
}

export const oauthClientResource: Resource = {
  name: 'oauth-client',
  description: 'OAuth clients (Platform API and MQTT Gateway API credentials)',
  actions: {
    list: defineAction({
      usage: 'list',
      summary: 'clients of the organization subtree (never their secrets)',
      prepare: (args) => expectPositionals(args, []),
      run: async (api) => {
        const clients = await api.oauthClients.list();
        return { json: clients, text: table(clients, clientColumns) };
      },
    }),
    create: defineAction({
      usage: 'create --name <name> [--org <id>]',
      summary: 'a client; its secret is printed once',
      flags: { name: 'string', org: 'string' },
      prepare: (args) => {
        expectPositionals(args, []);
        const org = stringFlag(args.flags, 'org');
        return {
          name: requiredFlag(args.flags, 'name'),
          ...(org === undefined ? {} : { orgId: parseId(org, '--org') }),
        };
      },
      run: async (api, input) => {
        const { client, secret } = await api.oauthClients.create(input);
        const text = `created OAuth client #${client.id}\n${clientText(client)}secret:    ${secret}\n(the secret is shown only now)\n`;
        return { json: { ...client, secret }, text };
      },
    }),
    disable: setActive(false),
    enable: setActive(true),
    delete: defineAction({
      usage: 'delete <id>',
      summary: 'a client; its tokens stop working',
      prepare: idOnly,
      run: async (api, id) => {
        await api.oauthClients.delete(id);
        return { json: { deleted: id }, text: `deleted OAuth client #${id}\n` };
      },
    }),
  },
};
