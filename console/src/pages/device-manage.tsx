import { useState } from 'preact/hooks';
import { del, put, qs } from '../api.js';
import { ErrorText, useAction } from '../components.js';
import { navigate } from '../router.js';

/** Rename or delete the device (a role that may write): PUT and DELETE …/device. */
export function DeviceManage(props: { deviceId: number; name: string; onRenamed: () => void }) {
  const [name, setName] = useState(props.name);
  const action = useAction();
  const query = qs({ deviceId: props.deviceId });
  const rename = async (event: Event) => {
    event.preventDefault();
    if (await action.run(() => put(`/api/v1/organization/device${query}`, { name: name.trim() })))
      props.onRenamed();
  };
  const remove = async () => {
    if (!window.confirm(`Delete ${props.name}? Its token stops working and its data is erased.`)) return;
    if (await action.run(() => del(`/api/v1/organization/device${query}`))) navigate('/devices');
  };
  return (
    <section aria-labelledby="manage-title">
      <h2 id="manage-title">Manage device</h2>
      <form class="inline" onSubmit={rename}>
        <label>
          Device name
          <input value={name} required maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={action.busy || name.trim() === '' || name.trim() === props.name}>
          Rename
        </button>
        <button type="button" class="danger" onClick={remove} disabled={action.busy}>
          Delete device
        </button>
      </form>
      <ErrorText error={action.error} />
    </section>
  );
}
