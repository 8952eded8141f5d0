/** Asks for the API key when the server requires one; checks it before showing the console. */
import { useState } from 'preact/hooks';
import { signIn } from '../api/auth';
import { ApiError, apiJson } from '../api/http';
import { Field } from '../components/Field';
import { FormAlert } from '../components/Messages';
import { useTitle } from '../hooks/useTitle';

interface SignInProps {
  /** Why the console is asking (e.g. the server refused the key). */
  message: string | null;
  onSignedIn(): void;
}

export function SignIn({ message, onSignedIn }: SignInProps) {
  useTitle('Sign in');
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (key.trim() === '') {
      setProblem('Enter the API key.');
      return;
    }
    setChecking(true);
    setProblem(null);
    signIn(key.trim());
    try {
      // The cheapest request behind the key: one entry of the do-not-call list. A 401 signs out
      // again and the message comes back through `message`.
      await apiJson('/dnc', { query: new URLSearchParams({ limit: '1' }) });
      onSignedIn();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setProblem(err instanceof Error ? err.message : String(err));
    } finally {
      setChecking(false);
    }
  };

  const refusal = message === null ? null : `The server did not accept the key: ${message}`;
  const messages = [problem ?? refusal].filter((m): m is string => m !== null);
  return (
    <main id="main" class="signin">
      <form class="card signin-card" onSubmit={(e) => void submit(e)} aria-labelledby="signin-title" noValidate>
        <h1 id="signin-title">Campaign dialer</h1>
        <p>Sign in with the API key your administrator gave you. It is kept only while this tab is open.</p>
        <FormAlert messages={messages} />
        <Field id="api-key" label="API key">
          {(a11y) => (
            <input
              {...a11y}
              type="password"
              autocomplete="off"
              value={key}
              onInput={(e) => setKey(e.currentTarget.value)}
              data-testid="api-key"
            />
          )}
        </Field>
        <button type="submit" class="button" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
