/**
 * Hash routes: #/campaigns, #/new-campaign, #/campaigns/:id, #/dnc. Anything else shows the list.
 * The new-campaign page is not under #/campaigns/: any campaign id (`new` too) must stay reachable.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'campaigns' }
  | { page: 'new-campaign' }
  | { page: 'campaign'; campaignId: string }
  | { page: 'dnc' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((part) => part !== '');
  if (parts[0] === 'dnc' && parts.length === 1) return { page: 'dnc' };
  if (parts[0] === 'new-campaign' && parts.length === 1) return { page: 'new-campaign' };
  if (parts[0] === 'campaigns' && parts.length === 2) return { page: 'campaign', campaignId: decodeURIComponent(parts[1]!) };
  return { page: 'campaigns' };
}

export const campaignHref = (campaignId: string): string => `#/campaigns/${encodeURIComponent(campaignId)}`;

export function navigate(href: string): void {
  window.location.hash = href;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
