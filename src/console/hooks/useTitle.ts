/** The tab's title names the page, so that screen readers and the tab strip tell where one is. */
import { useEffect } from 'preact/hooks';

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Campaign dialer`;
  }, [title]);
}
