import { useState } from 'preact/hooks';
import { messageOf } from '../api.js';
import { ErrorText } from '../components.js';
import { signIn } from '../session.js';
import type { SessionInfo } from '../types.js';

export function SignInPage(props: { onSignedIn: (info: SessionInfo) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await signIn(email, password));
    } catch (err) {
      // The server's own words: "Invalid email or password.", a throttling notice, …
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>devgate</h1>
      <form onSubmit={submit} class="card">
        <h2>Sign in</h2>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <ErrorText error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
