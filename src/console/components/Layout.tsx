/** The frame of every page: a skip link, the nav bar with the three sections, the page itself. */
import type { ComponentChildren } from 'preact';
import type { Route } from '../router';

const SECTIONS = [
  { href: '#/campaigns', label: 'Campaigns', current: (r: Route) => r.page === 'campaigns' || r.page === 'campaign' },
  { href: '#/new-campaign', label: 'New campaign', current: (r: Route) => r.page === 'new-campaign' },
  { href: '#/dnc', label: 'Do-not-call list', current: (r: Route) => r.page === 'dnc' },
];

interface LayoutProps {
  route: Route;
  /** Present when the console signed in with a key. */
  onSignOut?: () => void;
  children: ComponentChildren;
}

export function Layout({ route, onSignOut, children }: LayoutProps) {
  return (
    <>
      <a class="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Campaign dialer</span>
        <nav aria-label="Sections">
          <ul class="nav">
            {SECTIONS.map((s) => (
              <li key={s.href}>
                <a href={s.href} aria-current={s.current(route) ? 'page' : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {onSignOut && (
          <button type="button" class="button secondary small" onClick={onSignOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** `#main` would be read as a route: focus the content instead of following the link. */
function skipToMain(event: MouseEvent): void {
  event.preventDefault();
  document.getElementById('main')?.focus();
}
