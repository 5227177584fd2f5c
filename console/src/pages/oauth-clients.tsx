import { useState } from 'preact/hooks';
import { del, get, post, qs } from '../api.js';
import { ErrorText, formatTime, Pager, useAction, useLoad } from '../components.js';
import type { Page } from '../types.js';

interface OAuthClient {
  id: number;
  clientId: string;
  name: string;
  orgId: number;
  isActive: boolean;
  createdAt: number;
  secret?: string;
}

const SIZE = 50;

export function OAuthClientsPage() {
  const [page, setPage] = useState(0);
  const clients = useLoad(
    () => get<Page<OAuthClient>>(`/api/v1/organization/oauth/clients${qs({ page, size: SIZE })}`),
    [page],
  );
  const [name, setName] = useState('');
  const [created, setCreated] = useState<OAuthClient | undefined>(undefined);
  const action = useAction();
  const create = async (event: Event) => {
    event.preventDefault();
    const ok = await action.run(async () => {
      setCreated(await post<OAuthClient>('/api/v1/organization/oauth/clients/create', { name }));
    });
    if (ok) {
      setName('');
      clients.reload();
    }
  };
  const change = (run: () => Promise<unknown>) => action.run(run).then(clients.reload);
  return (
    <section>
      <h1>OAuth clients</h1>
      <form class="card inline" onSubmit={create}>
        <label>
          Client name
          <input required maxLength={64} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={action.busy}>
          Create client
        </button>
      </form>
      {created?.secret !== undefined && (
        <div class="card notice" role="status">
          <p>
            Client <strong>{created.clientId}</strong> created. Its secret is shown only now; copy it:
          </p>
          <p>
            <code class="secret">{created.secret}</code>
          </p>
          <button type="button" onClick={() => setCreated(undefined)}>
            Done
          </button>
        </div>
      )}
      <ErrorText error={action.error ?? clients.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Client id</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(clients.data?.content ?? []).map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>
                  <code>{c.clientId}</code>
                </td>
                <td>{c.isActive ? 'active' : 'disabled'}</td>
                <td>{formatTime(c.createdAt)}</td>
                <td class="actions">
                  <button
                    type="button"
                    onClick={() =>
                      change(() =>
                        post(
                          `/api/v1/organization/oauth/client/${c.isActive ? 'disable' : 'enable'}${qs({ id: c.id })}`,
                        ),
                      )
                    }
                  >
                    {c.isActive ? 'Disable' : 'Enable'}
                  </button>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => {
                      if (window.confirm(`Delete the OAuth client ${c.name}? Its tokens stop working.`))
                        void change(() => del(`/api/v1/organization/oauth/client${qs({ id: c.id })}`));
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {clients.data !== undefined && (
        <Pager page={page} size={SIZE} total={clients.data.totalElements} onPage={setPage} />
      )}
    </section>
  );
}
