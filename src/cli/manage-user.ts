import { randomBytes } from 'node:crypto';
import { ROLES, type Role, type User } from '../platform/model.js';
import { defineAction, type Resource } from './manage-action.js';
import {
  expectPositionals,
  type Flags,
  type ParsedArgs,
  parseId,
  requiredFlag,
  stringFlag,
  UsageError,
} from './manage-args.js';
import { isoTime, keyValues, table } from './manage-output.js';

const userColumns = [
  { title: 'id', value: (u: User) => u.id },
  { title: 'email', value: (u: User) => u.email },
  { title: 'name', value: (u: User) => u.name },
  { title: 'org', value: (u: User) => u.orgId },
  { title: 'role', value: (u: User) => u.role },
];

function userText(user: User): string {
  return keyValues([
    ['id', user.id],
    ['email', user.email],
    ['name', user.name],
    ['org', user.orgId],
    ['role', user.role],
    ['created', isoTime(user.createdAt)],
  ]);
}

function roleFlag(flags: Flags): Role {
  const role = requiredFlag(flags, 'role');
  if (!ROLES.includes(role as Role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

function orgFlag(flags: Flags): { orgId?: number } {
  const org = stringFlag(flags, 'org');
  return org === undefined ? {} : { orgId: parseId(org, '--org') };
}

/** `--password`, or a new random one (24 characters) printed once: a password need not be typed in. */
function passwordFlag(flags: Flags): { password: string; generated: boolean } {
  const given = stringFlag(flags, 'password');
  if (given !== undefined) return { password: given, generated: false };
  return { password: randomBytes(18).toString('base64url'), generated: true };
}

function passwordNote(password: { password: string; generated: boolean }): string {
  return password.generated ? `password: ${password.password}\n(the password is shown only now)\n` : '';
}

const idOnly = (args: ParsedArgs): number =>
  parseId(expectPositionals(args, ['user id (the number)'])[0], 'user id');

export const userResource: Resource = {
  name: 'user',
  description: 'console users (people who sign in, with a role per organization)',
  actions: {
    list: defineAction({
      usage: 'list',
      summary: 'users of the organization subtree',
      prepare: (args) => expectPositionals(args, []),
      run: async (api) => {
        const users = await api.users.list();
        return { json: users, text: table(users, userColumns) };
      },
    }),
    create: defineAction({
      usage: 'create --email <email> --role admin|staff|viewer [--name <name>] [--org <id>] [--password <p>]',
      summary: 'a user; without --password a random one is made and printed once',
      flags: { email: 'string', role: 'string', name: 'string', org: 'string', password: 'string' },
      prepare: (args) => {
        expectPositionals(args, []);
        const name = stringFlag(args.flags, 'name');
        return {
          input: {
            email: requiredFlag(args.flags, 'email'),
            role: roleFlag(args.flags),
            ...(name === undefined ? {} : { name }),
            ...orgFlag(args.flags),
          },
          password: passwordFlag(args.flags),
        };
      },
      run: async (api, { input, password }) => {
        const user = await api.users.create({ ...input, password: password.password });
        const text = `created user #${user.id}\n${userText(user)}${passwordNote(password)}`;
        return { json: password.generated ? { ...user, password: password.password } : user, text };
      },
    }),
    'set-role': defineAction({
      usage: 'set-role <id> --role admin|staff|viewer [--org <id>]',
      summary: "change a user's role (and with --org, the organization it applies to)",
      flags: { role: 'string', org: 'string' },
      prepare: (args) => ({
        id: idOnly(args),
        change: { role: roleFlag(args.flags), ...orgFlag(args.flags) },
      }),
      run: async (api, { id, change }) => {
        const user = await api.users.setRole(id, change);
        return { json: user, text: `updated user #${id}\n${userText(user)}` };
      },
    }),
    'set-password': defineAction({
      usage: 'set-password <id> [--password <p>]',
      summary: "set a user's password (their sessions end); without --password a random one is printed once",
      flags: { password: 'string' },
      prepare: (args) => ({ id: idOnly(args), password: passwordFlag(args.flags) }),
      run: async (api, { id, password }) => {
        await api.users.setPassword(id, password.password);
        const json = password.generated ? { id, password: password.password } : { id };
        return { json, text: `set the password of user #${id}\n${passwordNote(password)}` };
      },
    }),
    delete: defineAction({
      usage: 'delete <id>',
      summary: 'a user; their sessions end',
      prepare: idOnly,
      run: async (api, id) => {
        await api.users.delete(id);
        return { json: { deleted: id }, text: `deleted user #${id}\n` };
      },
    }),
  },
};
