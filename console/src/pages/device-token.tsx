import { useState } from 'preact/hooks';
import { get, post, qs } from '../api.js';
import { ErrorText, useAction } from '../components.js';

/** Admins only: show the device's token on request, or replace it (the old one stops at once). */
export function DeviceToken(props: { deviceId: number }) {
  const [token, setToken] = useState<string | undefined>(undefined);
  const action = useAction();
  const query = qs({ deviceId: props.deviceId });
  const reveal = () =>
    action.run(async () =>
      setToken((await get<{ token: string }>(`/api/v1/organization/device/token${query}`)).token),
    );
  const rotate = () => {
    if (!window.confirm('Replace the device token? The device must be given the new one to connect again.'))
      return;
    void action.run(async () =>
      setToken((await post<{ token: string }>(`/api/v1/organization/device/token/rotate${query}`)).token),
    );
  };
  return (
    <section aria-labelledby="token-title">
      <h2 id="token-title">Device token</h2>
      {token === undefined ? (
        <button type="button" onClick={reveal} disabled={action.busy}>
          Reveal token
        </button>
      ) : (
        <p>
          <code class="secret">{token}</code>{' '}
          <button type="button" onClick={() => setToken(undefined)}>
            Hide
          </button>
        </p>
      )}{' '}
      <button type="button" onClick={rotate} disabled={action.busy}>
        Rotate token
      </button>
      <ErrorText error={action.error} />
    </section>
  );
}
