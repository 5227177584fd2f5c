import type { DataStream, DataStreamType, EnumValue } from '../types.js';

const TYPES: DataStreamType[] = ['Integer', 'Double', 'String', 'Enum', 'Location', 'Boolean'];
const NUMERIC = new Set<DataStreamType>(['Integer', 'Double']);

/** "0=Off, 1=On" ⇄ enum values. */
export function enumText(values: readonly EnumValue[] | undefined): string {
  return (values ?? []).map((e) => `${e.value}=${e.label}`).join(', ');
}

export function parseEnumText(text: string): EnumValue[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0
        ? { value: Number(part), label: part }
        : { value: Number(part.slice(0, eq)), label: part.slice(eq + 1).trim() };
    });
}

/** Only the fields the template API takes (it refuses unknown ones), without empty ones. */
export function datastreamInput(ds: DataStream): Record<string, unknown> {
  const numeric = NUMERIC.has(ds.type);
  const input: Record<string, unknown> = {
    ...(ds.id === undefined ? {} : { id: ds.id }),
    name: ds.name,
    pin: ds.pin,
    type: ds.type,
    isSync: ds.isSync,
    isRaw: ds.isRaw,
  };
  if (ds.alias) input.alias = ds.alias;
  if (ds.units) input.units = ds.units;
  if (numeric && ds.min !== undefined) input.min = ds.min;
  if (numeric && ds.max !== undefined) input.max = ds.max;
  if (numeric && ds.decimals !== undefined) input.decimals = ds.decimals;
  if (ds.type === 'Enum') {
    input.enumValues = ds.enumValues ?? [];
    if (ds.enumFallback !== undefined) input.enumFallback = ds.enumFallback;
  }
  if (ds.defaultValue !== undefined && ds.defaultValue !== null) input.defaultValue = ds.defaultValue;
  return input;
}

function optionalNumber(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

interface EditorProps {
  datastreams: DataStream[];
  readOnly: boolean;
  onChange: (datastreams: DataStream[]) => void;
}

/** A table of datastreams: every field of one row is labelled with the row's name. */
export function DatastreamEditor(props: EditorProps) {
  const update = (index: number, patch: Partial<DataStream>) =>
    props.onChange(props.datastreams.map((ds, i) => (i === index ? { ...ds, ...patch } : ds)));
  const remove = (index: number) => props.onChange(props.datastreams.filter((_, i) => i !== index));
  const add = () => {
    const pin = Math.max(-1, ...props.datastreams.map((d) => d.pin)) + 1;
    props.onChange([
      ...props.datastreams,
      { name: `Datastream ${pin}`, pin, type: 'Integer', isSync: false, isRaw: false },
    ]);
  };
  return (
    <fieldset class="datastreams" disabled={props.readOnly}>
      <legend>Datastreams</legend>
      {props.datastreams.map((ds, index) => {
        const row = `datastream ${index + 1}`;
        const numeric = NUMERIC.has(ds.type);
        return (
          <div class="ds-row" key={ds.id ?? `new-${index}`}>
            <label>
              Name
              <input
                aria-label={`Name of ${row}`}
                required
                value={ds.name}
                onInput={(e) => update(index, { name: e.currentTarget.value })}
              />
            </label>
            <label>
              Pin V
              <input
                aria-label={`Pin of ${row}`}
                type="number"
                min={0}
                max={255}
                required
                value={ds.pin}
                onInput={(e) => update(index, { pin: Number(e.currentTarget.value) })}
              />
            </label>
            <label>
              Type
              <select
                aria-label={`Type of ${row}`}
                value={ds.type}
                onChange={(e) => update(index, { type: e.currentTarget.value as DataStreamType })}
              >
                {TYPES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </label>
            {numeric && (
              <>
                <label>
                  Min
                  <input
                    aria-label={`Minimum of ${row}`}
                    type="number"
                    step="any"
                    value={ds.min ?? ''}
                    onInput={(e) => update(index, { min: optionalNumber(e.currentTarget.value) })}
                  />
                </label>
                <label>
                  Max
                  <input
                    aria-label={`Maximum of ${row}`}
                    type="number"
                    step="any"
                    value={ds.max ?? ''}
                    onInput={(e) => update(index, { max: optionalNumber(e.currentTarget.value) })}
                  />
                </label>
                <label>
                  Decimals
                  <input
                    aria-label={`Decimals of ${row}`}
                    type="number"
                    min={0}
                    max={10}
                    value={ds.decimals ?? ''}
                    onInput={(e) => update(index, { decimals: optionalNumber(e.currentTarget.value) })}
                  />
                </label>
              </>
            )}
            {ds.type === 'Enum' && (
              <label class="wide">
                Values (code=label, …)
                <input
                  aria-label={`Enum values of ${row}`}
                  value={enumText(ds.enumValues)}
                  onChange={(e) => update(index, { enumValues: parseEnumText(e.currentTarget.value) })}
                />
              </label>
            )}
            <label>
              Units
              <input
                aria-label={`Units of ${row}`}
                value={ds.units ?? ''}
                onInput={(e) => update(index, { units: e.currentTarget.value })}
              />
            </label>
            <label class="check">
              <input
                type="checkbox"
                checked={ds.isSync}
                onChange={(e) => update(index, { isSync: e.currentTarget.checked })}
              />
              Sync
            </label>
            <label class="check">
              <input
                type="checkbox"
                checked={ds.isRaw}
                onChange={(e) => update(index, { isRaw: e.currentTarget.checked })}
              />
              Raw
            </label>
            <button
              type="button"
              class="danger"
              onClick={() => remove(index)}
              aria-label={`Remove ${row} (${ds.name})`}
            >
              Remove
            </button>
          </div>
        );
      })}
      <button type="button" onClick={add}>
        Add datastream
      </button>
    </fieldset>
  );
}
