import { useState } from 'preact/hooks';
import { del, get, post, put, qs } from '../api.js';
import { ErrorText, formatTime, Pager, useAction, useLoad } from '../components.js';
import { useSession } from '../session.js';
import type { Page, Role } from '../types.js';

interface User {
  id: number;
  email: string;
  name?: string;
  orgId: number;
  role: Role;
  createdAt: number;
}

const ROLES: Role[] = ['admin', 'staff', 'viewer'];
const SIZE = 50;

export function UsersPage() {
  const session = useSession();
  const [page, setPage] = useState(0);
  const users = useLoad(
    () => get<Page<User>>(`/api/v1/organization/users${qs({ page, size: SIZE })}`),
    [page, session.orgId],
  );
  const action = useAction();
  const change = (run: () => Promise<unknown>) => action.run(run).then(users.reload);
  return (
    <section>
      <h1>Users</h1>
      <CreateUser onCreated={users.reload} />
      <ErrorText error={action.error ?? users.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(users.data?.content ?? []).map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.name ?? ''}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.email}`}
                    value={u.role}
                    disabled={u.id === session.info.user.id}
                    onChange={(e) =>
                      change(() =>
                        put(`/api/v1/organization/user/role${qs({ userId: u.id })}`, {
                          role: e.currentTarget.value,
                          orgId: u.orgId,
                        }),
                      )
                    }
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{formatTime(u.createdAt)}</td>
                <td>
                  {u.id !== session.info.user.id && (
                    <button
                      type="button"
                      class="danger"
                      onClick={() => {
                        if (window.confirm(`Delete the user ${u.email}?`))
                          void change(() => del(`/api/v1/organization/user${qs({ userId: u.id })}`));
                      }}
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {users.data !== undefined && (
        <Pager page={page} size={SIZE} total={users.data.totalElements} onPage={setPage} />
      )}
    </section>
  );
}

function CreateUser(props: { onCreated: () => void }) {
  const session = useSession();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const action = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    const body = { email, password, role, orgId: session.orgId, ...(name === '' ? {} : { name }) };
    if (await action.run(() => post('/api/v1/organization/users/create', body))) {
      setEmail('');
      setName('');
      setPassword('');
      props.onCreated();
    }
  };
  return (
    <form class="card inline" onSubmit={submit}>
      <label>
        Email
        <input type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </label>
      <label>
        Name
        <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Password
        <input
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={action.busy}>
        Create user
      </button>
      <ErrorText error={action.error} />
    </form>
  );
}
