import { useState } from 'preact/hooks';
import { del, post, put, qs } from '../api.js';
import { ErrorText, useAction } from '../components.js';
import { useSession } from '../session.js';
import type { Organization } from '../types.js';

/**
 * Admins: the organizations the user reaches (the switcher's list), a new sub-organization under
 * one of them, renaming and deleting (the server refuses an org with sub-orgs or devices, the
 * user's own and the root).
 */
export function OrganizationsPage() {
  const session = useSession();
  const action = useAction();
  const names = new Map(session.orgs.map((o) => [o.id, o.name]));
  const change = async (run: () => Promise<unknown>) => {
    if (await action.run(run)) session.reloadOrgs();
  };
  return (
    <section>
      <h1>Organizations</h1>
      <CreateOrganization
        parents={session.orgs}
        defaultParent={session.orgId}
        onCreated={session.reloadOrgs}
      />
      <ErrorText error={action.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Parent</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {session.orgs.map((org) => (
              <tr key={org.id}>
                <td>{org.name}</td>
                <td>
                  {org.parentOrganizationId == null ? '—' : (names.get(org.parentOrganizationId) ?? '—')}
                </td>
                <td>
                  <button
                    type="button"
                    class="small"
                    aria-label={`Rename ${org.name}`}
                    onClick={() => {
                      const name = window.prompt(`New name for ${org.name}`, org.name)?.trim();
                      if (name)
                        void change(() => put(`/api/v1/organization${qs({ orgId: org.id })}`, { name }));
                    }}
                  >
                    Rename
                  </button>{' '}
                  <button
                    type="button"
                    class="small danger"
                    aria-label={`Delete ${org.name}`}
                    onClick={() => {
                      if (window.confirm(`Delete the organization ${org.name}?`))
                        void change(() => del(`/api/v1/organization${qs({ orgId: org.id })}`));
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
    </section>
  );
}

function CreateOrganization(props: {
  parents: readonly Organization[];
  defaultParent: number;
  onCreated: () => void;
}) {
  const [name, setName] = useState('');
  const [parent, setParent] = useState(props.defaultParent);
  const action = useAction();
  const create = async (event: Event) => {
    event.preventDefault();
    const body = { name: name.trim(), parentOrganizationId: parent };
    if (await action.run(() => post('/api/v1/organization/create', body))) {
      setName('');
      props.onCreated();
    }
  };
  return (
    <form class="inline card" onSubmit={create}>
      <label>
        Organization name
        <input value={name} required maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Parent organization
        <select value={String(parent)} onChange={(e) => setParent(Number(e.currentTarget.value))}>
          {props.parents.map((org) => (
            <option key={org.id} value={String(org.id)}>
              {org.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={action.busy || name.trim() === ''}>
        Create organization
      </button>
      <ErrorText error={action.error} />
    </form>
  );
}
