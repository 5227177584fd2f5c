import { useEffect, useState } from 'preact/hooks';
import { post } from '../api.js';
import { ErrorText, useAction } from '../components.js';
import type { DataStream, Value } from '../types.js';

// One control per writable datastream, labelled with the datastream's name. Each change is a
// POST …/device/datastream: the server types, clamps, stores and sends downlink/ds/NAME.

export function isWritable(ds: DataStream): boolean {
  return ds.type !== 'Location';
}

function isSwitch(ds: DataStream): boolean {
  return ds.type === 'Boolean' || (ds.type === 'Integer' && ds.min === 0 && ds.max === 1);
}

function isRanged(ds: DataStream): boolean {
  return (ds.type === 'Integer' || ds.type === 'Double') && ds.min !== undefined && ds.max !== undefined;
}

function step(ds: DataStream): number {
  if (ds.type === 'Integer') return 1;
  return 10 ** -(ds.decimals ?? 1);
}

function truthy(value: Value | undefined): boolean {
  return value === true || value === 1 || value === '1' || value === 'true';
}

interface ControlProps {
  deviceId: number;
  ds: DataStream;
  value: Value | undefined;
  disabled: boolean;
}

export function DatastreamControl(props: ControlProps) {
  const { ds } = props;
  const action = useAction();
  // What the user chose, shown until the device's value (from the live stream) or an error
  // replaces it: a controlled input would otherwise snap back while the write is on its way.
  const [chosen, setChosen] = useState<{ value: Value } | undefined>(undefined);
  useEffect(() => setChosen(undefined), [props.value]);
  const write = async (value: Value) => {
    setChosen({ value });
    const ok = await action.run(() =>
      post('/api/v1/organization/device/datastream', {
        deviceId: props.deviceId,
        dataStreamId: ds.id,
        value,
      }),
    );
    if (!ok) setChosen(undefined);
  };
  const shown = chosen === undefined ? props.value : chosen.value;
  const id = `control-${ds.id}`;
  const disabled = props.disabled;
  let control: preact.JSX.Element;
  if (isSwitch(ds)) {
    const on = truthy(shown);
    control = (
      <input
        id={id}
        type="checkbox"
        role="switch"
        class="switch"
        checked={on}
        aria-checked={on}
        disabled={disabled}
        onChange={(e) =>
          write(ds.type === 'Boolean' ? e.currentTarget.checked : e.currentTarget.checked ? 1 : 0)
        }
      />
    );
  } else if (isRanged(ds)) {
    control = <Slider id={id} ds={ds} value={shown} disabled={disabled} onCommit={write} />;
  } else if (ds.type === 'Enum') {
    control = (
      <select
        id={id}
        value={String(shown ?? '')}
        disabled={disabled}
        onChange={(e) => write(Number(e.currentTarget.value))}
      >
        {(shown === undefined || shown === null) && <option value="">—</option>}
        {(ds.enumValues ?? []).map((entry) => (
          <option key={entry.value} value={String(entry.value)}>
            {entry.label}
          </option>
        ))}
      </select>
    );
  } else {
    control = <TextControl id={id} ds={ds} value={shown} disabled={disabled} onCommit={write} />;
  }
  return (
    <div class="control">
      <label for={id} class="control-name">
        {ds.name}
      </label>
      {control}
      <ErrorText error={action.error} />
    </div>
  );
}

interface InputProps {
  id: string;
  ds: DataStream;
  value: Value | undefined;
  disabled: boolean;
  onCommit: (value: Value) => void;
}

/** A range input that sends once released (change), not on every step (input). */
function Slider(props: InputProps) {
  const [draft, setDraft] = useState<number | undefined>(undefined);
  const current = typeof props.value === 'number' ? props.value : Number(props.value ?? props.ds.min ?? 0);
  return (
    <span class="slider">
      <input
        id={props.id}
        type="range"
        min={props.ds.min}
        max={props.ds.max}
        step={step(props.ds)}
        value={draft ?? current}
        disabled={props.disabled}
        onInput={(e) => setDraft(Number(e.currentTarget.value))}
        onChange={(e) => {
          setDraft(undefined);
          props.onCommit(Number(e.currentTarget.value));
        }}
      />
      <output for={props.id}>{draft ?? current}</output>
    </span>
  );
}

/** Text (String) or a plain number (Integer/Double without a range): sent on Enter or blur. */
function TextControl(props: InputProps) {
  const shown = props.value === undefined || props.value === null ? '' : String(props.value);
  const [draft, setDraft] = useState(shown);
  const [editing, setEditing] = useState(false);
  useEffect(() => {
    if (!editing) setDraft(shown);
  }, [shown, editing]);
  const numeric = props.ds.type === 'Integer' || props.ds.type === 'Double';
  const commit = () => {
    setEditing(false);
    if (draft === shown) return;
    props.onCommit(numeric ? Number(draft) : draft);
  };
  const common = {
    id: props.id,
    value: draft,
    disabled: props.disabled,
    onFocus: () => setEditing(true),
    onInput: (e: Event) => setDraft((e.currentTarget as HTMLInputElement).value),
    onBlur: commit,
    onKeyDown: (e: KeyboardEvent) => {
      if (e.key === 'Enter') commit();
    },
  };
  return numeric ? (
    <input type="number" step={step(props.ds)} {...common} />
  ) : (
    <input type="text" {...common} />
  );
}
