// A tiny history router: real paths (/apps/default/greeter), links that do not reload the page, and
// the back button. The server answers every non-API path with the same index.html.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  for (const fn of listeners) fn();
  window.scrollTo(0, 0);
}

/** The current location as [pathname, search]; changes on navigate() and on back/forward. */
export function useLocation(): [string, string] {
  const [where, setWhere] = useState(`${location.pathname}\n${location.search}`);
  useEffect(() => {
    const update = () => setWhere(`${location.pathname}\n${location.search}`);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  const [path, search] = where.split('\n') as [string, string];
  return [path, search];
}

/** `/apps/:namespace/:name` matched against a path: the named segments, or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const s = path.replace(/\/+$/, '').split('/');
  if (p.length !== s.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) out[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return undefined;
  }
  return out;
}

/** Left clicks on same-origin links navigate in place; others (new tab, modifiers) do what browsers do. */
export function onLinkClick(event: MouseEvent): void {
  const a = (event.target as Element | null)?.closest?.('a');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  if (a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
  event.preventDefault();
  navigate(a.pathname + a.search);
}
