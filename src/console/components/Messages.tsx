/** Where the outcome of an action is announced: a polite live region, and an alert for errors. */
import type { ComponentChildren } from 'preact';

/** Always rendered, so that screen readers announce what appears in it. */
export function Status({ children, testId }: { children?: ComponentChildren; testId?: string }) {
  return (
    <div role="status" aria-live="polite" class="status" data-testid={testId}>
      {children}
    </div>
  );
}

/** Problems with a whole form or request. */
export function FormAlert({ messages, testId = 'form-alert' }: { messages: string[]; testId?: string }) {
  return (
    <div role="alert" class={messages.length === 0 ? 'alert alert-empty' : 'alert'} data-testid={testId}>
      {messages.length === 1 ? <p>{messages[0]}</p> : messages.length > 1 && <ul>{messages.map((m) => <li key={m}>{m}</li>)}</ul>}
    </div>
  );
}
