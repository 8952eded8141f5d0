/**
 * The API key, in memory only: never in storage or a URL, so closing or reloading the tab forgets
 * it. A 401 anywhere signs out, and the app shows the sign-in form with the server's message.
 */
let apiKey: string | null = null;

type SignOutListener = (message: string | null) => void;
const listeners = new Set<SignOutListener>();

export function signIn(key: string): void {
  apiKey = key;
}

export function signOut(message: string | null): void {
  apiKey = null;
  for (const listener of listeners) listener(message);
}

/** Returns the unsubscribe function. */
export function onSignOut(listener: SignOutListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function authHeaders(): Record<string, string> {
  return apiKey === null ? {} : { authorization: `Bearer ${apiKey}` };
}
