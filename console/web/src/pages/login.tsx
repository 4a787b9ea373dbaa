import { useState } from 'preact/hooks';
import type { SessionInfo } from '../../../api-types.ts';
import { describeError, postJson } from '../api.ts';

export function LoginPage({ onLogin }: { onLogin: (info: SessionInfo) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="login">
      <h1>Workflow platform</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            onLogin(await postJson<SessionInfo>('/api/login', { token: token.trim() }));
          } catch (err) {
            setError(describeError(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="token">Console token</label>
        <p class="muted" id="token-help">
          Printed by <code>wfctl up</code> (and kept in <code>.wfctl/platform.json</code> as consoleToken).
        </p>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          aria-describedby="token-help"
          aria-invalid={error ? true : undefined}
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
        {error && (
          <p class="notice notice-bad" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
