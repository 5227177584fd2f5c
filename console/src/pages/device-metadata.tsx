import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { ErrorText, useAction } from '../components.js';
import type { MetaFieldValue } from '../types.js';

// The device's metadata values. A role that may write edits them here: each Save is a
// POST …/device/metafield, which stores the value and sends downlink/meta/NAME to the device.
// Device Name is the device's own name (renamed with the device, not as metadata).

export function DeviceMetadata(props: {
  deviceId: number;
  fields: readonly MetaFieldValue[];
  editable: boolean;
}) {
  return (
    <section aria-labelledby="meta-title">
      <h2 id="meta-title">Metadata</h2>
      <dl class="facts">
        {props.fields.map((field) =>
          props.editable && field.type !== 'DeviceName' ? (
            <MetaFieldEditor key={field.id} deviceId={props.deviceId} field={field} />
          ) : (
            <div key={field.id}>
              <dt>{field.name}</dt>
              <dd>{field.value === '' ? '—' : field.value}</dd>
            </div>
          ),
        )}
      </dl>
    </section>
  );
}

function MetaFieldEditor(props: { deviceId: number; field: MetaFieldValue }) {
  const { field } = props;
  const [saved, setSaved] = useState(field.value);
  const [text, setText] = useState(field.value);
  const action = useAction();
  const id = `meta-${field.id}`;
  const save = async (event: Event) => {
    event.preventDefault();
    const ok = await action.run(() =>
      post('/api/v1/organization/device/metafield', {
        deviceId: props.deviceId,
        metaFieldId: field.id,
        newValue: text,
      }),
    );
    if (ok) setSaved(text);
  };
  return (
    <div>
      <dt>
        <label for={id}>{field.name}</label>
      </dt>
      <dd>
        <form class="inline" onSubmit={save}>
          <input id={id} value={text} maxLength={1024} onInput={(e) => setText(e.currentTarget.value)} />
          <button
            type="submit"
            class="small"
            aria-label={`Save ${field.name}`}
            disabled={action.busy || text === saved}
          >
            Save
          </button>
        </form>
        <ErrorText error={action.error} />
      </dd>
    </div>
  );
}
