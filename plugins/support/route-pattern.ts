// Go 1.22 ServeMux-style patterns ("POST /api/orders/{id}", "/files/{rest...}") matched against a
// request, for handlers that dispatch several routes themselves (api.command).

export interface RouteKey {
  method?: string;
  path: string;
}

/** "POST /a/{id}" -> {method: POST, path: /a/{id}}; "/a" -> {path: /a}. */
export function parseRouteKey(key: string): RouteKey {
  const m = /^([A-Z]+)\s+(\S+)$/.exec(key.trim());
  return m ? { method: m[1], path: m[2] } : { path: key.trim() };
}

/** Path parameters when `pattern` matches `path`, else undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const seg = want[i];
    const wildcard = /^\{(\w+)\.\.\.\}$/.exec(seg);
    if (wildcard) {
      params[wildcard[1]] = got.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    if (i >= got.length) return undefined;
    const named = /^\{(\w+)\}$/.exec(seg);
    if (named) params[named[1]] = decodeURIComponent(got[i]);
    else if (seg !== got[i]) return undefined;
  }
  return want.length === got.length ? params : undefined;
}
