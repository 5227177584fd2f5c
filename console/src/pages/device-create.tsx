import { useState } from 'preact/hooks';
import { actingOrg, post } from '../api.js';
import { ErrorText, Link, useAction } from '../components.js';
import type { Device } from '../types.js';

/**
 * "New device" (a role that may write): POST …/device/create in the organization the header's
 * switcher acts in. The answer carries the device's token, shown here once, as the API shows it.
 */
export function NewDevice(props: { templates: ReadonlyMap<number, string>; onCreated: () => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [templateId, setTemplateId] = useState<number | undefined>(undefined);
  const [created, setCreated] = useState<(Device & { token: string }) | undefined>(undefined);
  const action = useAction();
  const chosen = templateId ?? props.templates.keys().next().value;
  const create = async (event: Event) => {
    event.preventDefault();
    if (chosen === undefined) return;
    const orgId = actingOrg();
    await action.run(async () => {
      const body = { templateId: chosen, name: name.trim(), ...(orgId === undefined ? {} : { orgId }) };
      setCreated(await post<Device & { token: string }>('/api/v1/organization/device/create', body));
      setName('');
      props.onCreated();
    });
  };
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        New device
      </button>
    );
  return (
    <div class="card">
      <form class="inline" onSubmit={create}>
        <label>
          Device name
          <input value={name} required maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Template
          <select value={String(chosen ?? '')} onChange={(e) => setTemplateId(Number(e.currentTarget.value))}>
            {[...props.templates].map(([id, templateName]) => (
              <option key={id} value={String(id)}>
                {templateName}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={action.busy || chosen === undefined || name.trim() === ''}>
          Create device
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Close
        </button>
      </form>
      <ErrorText error={action.error} />
      {created !== undefined && (
        <p role="status">
          Created <Link href={`/devices/${created.id}`}>{created.name}</Link>. Its token (shown once here;
          Admins can reveal it on the device page): <code class="secret">{created.token}</code>
        </p>
      )}
    </div>
  );
}
