import { useEffect, useState } from 'preact/hooks';
import { del, get, post, put, qs } from '../api.js';
import { ErrorText, useAction, useLoad } from '../components.js';
import { can, useSession } from '../session.js';
import type { DataStream, Page, Template } from '../types.js';
import { DatastreamEditor, datastreamInput } from './datastream-editor.js';

interface Draft {
  id?: number;
  name: string;
  description: string;
  gatewayEnabled: boolean;
  offlineDelaySec: number;
  datastreams: DataStream[];
}

const EMPTY: Draft = {
  name: '',
  description: '',
  gatewayEnabled: false,
  offlineDelaySec: 60,
  datastreams: [],
};

function draftOf(t: Template): Draft {
  return {
    id: t.id,
    name: t.name,
    description: t.description ?? '',
    gatewayEnabled: t.gatewayEnabled ?? false,
    offlineDelaySec: t.offlineDelaySec ?? 60,
    datastreams: t.datastreams,
  };
}

export function TemplatesPage() {
  const session = useSession();
  const templates = useLoad(() => get<Page<Template>>('/api/v1/organization/templates?size=1000'), []);
  const [selected, setSelected] = useState<number | 'new' | undefined>(undefined);
  const chosen = templates.data?.content.find((t) => t.id === selected);
  return (
    <section>
      <h1>Templates</h1>
      <ErrorText error={templates.error} />
      <div class="split">
        <nav aria-label="Templates" class="list">
          <ul>
            {(templates.data?.content ?? []).map((t) => (
              <li key={t.id}>
                <button type="button" aria-current={t.id === selected} onClick={() => setSelected(t.id)}>
                  {t.name}
                </button>
              </li>
            ))}
          </ul>
          {can.manage(session.role) && (
            <button type="button" onClick={() => setSelected('new')}>
              New template
            </button>
          )}
        </nav>
        {(selected === 'new' || chosen !== undefined) && (
          <TemplateForm
            key={selected}
            initial={chosen === undefined ? EMPTY : draftOf(chosen)}
            readOnly={
              !can.manage(session.role) ||
              (chosen !== undefined && !session.orgs.some((o) => o.id === chosen.orgId))
            }
            onSaved={(id) => {
              setSelected(id);
              templates.reload();
            }}
          />
        )}
      </div>
    </section>
  );
}

function TemplateForm(props: {
  initial: Draft;
  readOnly: boolean;
  onSaved: (id: number | undefined) => void;
}) {
  const [draft, setDraft] = useState(props.initial);
  useEffect(() => setDraft(props.initial), [props.initial]);
  const action = useAction();
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const save = async (event: Event) => {
    event.preventDefault();
    const body = {
      name: draft.name,
      description: draft.description,
      gatewayEnabled: draft.gatewayEnabled,
      offlineDelaySec: draft.offlineDelaySec,
      datastreams: draft.datastreams.map(datastreamInput),
    };
    let savedId = draft.id;
    const ok = await action.run(async () => {
      if (draft.id === undefined)
        savedId = (await post<Template>('/api/v1/organization/template/create', body)).id;
      else await put(`/api/v1/organization/template${qs({ templateId: draft.id })}`, body);
    });
    if (ok) props.onSaved(savedId);
  };
  const remove = async () => {
    if (draft.id === undefined || !window.confirm(`Delete the template ${draft.name}?`)) return;
    const id = draft.id;
    if (await action.run(() => del(`/api/v1/organization/template${qs({ templateId: id })}`)))
      props.onSaved(undefined);
  };
  return (
    <form class="card template" onSubmit={save}>
      <h2>{draft.id === undefined ? 'New template' : draft.name}</h2>
      <fieldset disabled={props.readOnly}>
        <label>
          Template name
          <input
            required
            maxLength={50}
            value={draft.name}
            onInput={(e) => set({ name: e.currentTarget.value })}
          />
        </label>
        <label>
          Description
          <input value={draft.description} onInput={(e) => set({ description: e.currentTarget.value })} />
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={draft.gatewayEnabled}
            onChange={(e) => set({ gatewayEnabled: e.currentTarget.checked })}
          />
          Gateway (devices of this template may act for other devices)
        </label>
        <label>
          Offline after (seconds)
          <input
            type="number"
            min={0}
            value={draft.offlineDelaySec}
            onInput={(e) => set({ offlineDelaySec: Number(e.currentTarget.value) })}
          />
        </label>
      </fieldset>
      <DatastreamEditor
        datastreams={draft.datastreams}
        readOnly={props.readOnly}
        onChange={(datastreams) => set({ datastreams })}
      />
      <ErrorText error={action.error} />
      {!props.readOnly && (
        <p class="actions">
          <button type="submit" disabled={action.busy}>
            Save template
          </button>
          {draft.id !== undefined && (
            <button type="button" class="danger" onClick={remove}>
              Delete template
            </button>
          )}
        </p>
      )}
    </form>
  );
}
