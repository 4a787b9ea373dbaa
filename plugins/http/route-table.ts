// Go 1.22 ServeMux routing, as a pure table: patterns "[METHOD ]/path" with `{name}` segments,
// `{name...}` tails, a trailing "/" meaning "this prefix and everything below", and `{$}` for an
// exact trailing slash. The most specific pattern wins (literal > `{name}` > `{name...}`/prefix);
// GET also serves HEAD; a path matched only under other methods is a 405 with the allowed methods.

export type Segment =
  | { kind: 'lit'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'rest'; name: string }
  | { kind: 'end' };

export interface ParsedPattern {
  method: string | undefined;
  path: string;
  segments: Segment[];
}

export class PatternError extends Error {}

/** Parse "GET /items/{id}" or "/static/" into segments; throws PatternError on bad syntax. */
export function parsePattern(pattern: string, method?: string): ParsedPattern {
  let p = pattern.trim();
  let m = method && method !== '*' ? method.toUpperCase() : undefined;
  const space = p.indexOf(' ');
  if (space > 0 && !p.startsWith('/')) {
    m = p.slice(0, space).toUpperCase();
    p = p.slice(space + 1).trim();
  }
  if (!p.startsWith('/')) throw new PatternError(`route path "${p}" must start with "/"`);
  const parts = p.split('/').slice(1);
  const segments: Segment[] = [];
  const names = new Set<string>();
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === '') {
      // trailing slash: prefix match (anonymous tail); empty inner segments are literal ""
      if (last) segments.push({ kind: 'rest', name: '' });
      else segments.push({ kind: 'lit', value: '' });
      return;
    }
    const wild = /^\{([^{}]*)\}$/.exec(part);
    if (!wild) {
      if (part.includes('{') || part.includes('}'))
        throw new PatternError(`route path "${p}": a wildcard must be a whole segment, like {id}`);
      segments.push({ kind: 'lit', value: safeDecode(part) });
      return;
    }
    const inner = wild[1]!;
    if (inner === '$') {
      if (!last) throw new PatternError(`route path "${p}": {$} must be at the end`);
      segments.push({ kind: 'end' });
      return;
    }
    const isRest = inner.endsWith('...');
    const name = isRest ? inner.slice(0, -3) : inner;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new PatternError(`route path "${p}": bad wildcard name "${name}"`);
    if (names.has(name)) throw new PatternError(`route path "${p}": duplicate wildcard name "${name}"`);
    names.add(name);
    if (isRest && !last) throw new PatternError(`route path "${p}": {${inner}} must be the last segment`);
    segments.push(isRest ? { kind: 'rest', name } : { kind: 'param', name });
  });
  if (parts.length === 0) segments.push({ kind: 'rest', name: '' });
  return { method: m, path: p, segments };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A route stored in the tree with the names of its wildcards, in order. */
interface Entry<T> {
  value: T;
  names: string[];
  restName: string;
}

interface Node<T> {
  lit: Map<string, Node<T>>;
  param?: Node<T>;
  /** Routes that end here, by method ('' = any). */
  routes: Map<string, Entry<T>>;
  /** `{name...}` or trailing-slash tails that start here, by method. */
  rest: Map<string, Entry<T>>;
  /** `{$}` routes (exact trailing slash). */
  end: Map<string, Entry<T>>;
}

const newNode = <T>(): Node<T> => ({ lit: new Map(), routes: new Map(), rest: new Map(), end: new Map() });

export type MatchResult<T> =
  | { kind: 'found'; value: T; params: Record<string, string>; method: string }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'redirect'; location: string }
  | { kind: 'not-found' };

interface Hit<T> {
  entry: Entry<T>;
  method: string;
  values: string[];
  tail?: string;
}

export class RouteTable<T> {
  private readonly root: Node<T> = newNode();
  private readonly patterns = new Map<string, T>();

  /** Adds a route; returns the existing value instead when the same method+pattern exists. */
  add(pattern: ParsedPattern, value: T): T | undefined {
    const key = `${pattern.method ?? ''} ${canonical(pattern.segments)}`;
    const existing = this.patterns.get(key);
    if (existing !== undefined) return existing;
    this.patterns.set(key, value);
    let node = this.root;
    const method = pattern.method ?? '';
    const names: string[] = [];
    for (const seg of pattern.segments) {
      if (seg.kind === 'lit') {
        let next = node.lit.get(seg.value);
        if (!next) node.lit.set(seg.value, (next = newNode()));
        node = next;
      } else if (seg.kind === 'param') {
        names.push(seg.name);
        node = node.param ??= newNode();
      } else if (seg.kind === 'rest') {
        node.rest.set(method, { value, names, restName: seg.name });
        return undefined;
      } else {
        node.end.set(method, { value, names, restName: '' });
        return undefined;
      }
    }
    node.routes.set(method, { value, names, restName: '' });
    return undefined;
  }

  has(pattern: ParsedPattern): boolean {
    return this.patterns.has(`${pattern.method ?? ''} ${canonical(pattern.segments)}`);
  }

  size(): number {
    return this.patterns.size;
  }

  match(method: string, rawPath: string): MatchResult<T> {
    const segments = rawPath.split('/');
    segments.shift(); // leading ""
    const hit = this.walk(this.root, segments, 0, method, [], undefined);
    if (hit) {
      const params: Record<string, string> = {};
      const names = hit.entry.names;
      for (let i = 0; i < names.length; i++) params[names[i]!] = hit.values[i]!;
      if (hit.entry.restName) params[hit.entry.restName] = hit.tail ?? '';
      return { kind: 'found', value: hit.entry.value, params, method: hit.method };
    }
    // "/dir" with only "/dir/" registered -> redirect, like ServeMux
    if (!rawPath.endsWith('/')) {
      const withSlash = this.walk(this.root, [...segments, ''], 0, method, [], undefined);
      if (withSlash) return { kind: 'redirect', location: rawPath + '/' };
    }
    // a miss: walk again, this time collecting the methods the path does answer
    const allowed = new Set<string>();
    this.walk(this.root, segments, 0, method, [], allowed);
    if (allowed.size > 0) return { kind: 'method-not-allowed', allowed: [...allowed].sort() };
    return { kind: 'not-found' };
  }

  private pick(
    map: Map<string, Entry<T>>,
    method: string,
    allowed: Set<string> | undefined,
  ): { entry: Entry<T>; method: string } | undefined {
    if (map.size === 0) return undefined;
    const exact = map.get(method);
    if (exact !== undefined) return { entry: exact, method };
    if (method === 'HEAD') {
      const get = map.get('GET');
      if (get !== undefined) return { entry: get, method: 'GET' };
    }
    const any = map.get('');
    if (any !== undefined) return { entry: any, method: '' };
    if (!allowed) return undefined;
    for (const m of map.keys()) {
      allowed.add(m);
      if (m === 'GET') allowed.add('HEAD');
    }
    return undefined;
  }

  private walk(
    node: Node<T>,
    segs: string[],
    i: number,
    method: string,
    values: string[],
    allowed: Set<string> | undefined,
  ): Hit<T> | undefined {
    // `values` is one array shared down the recursion (push/pop), copied only on a hit
    if (i === segs.length) {
      const hit = this.pick(node.routes, method, allowed);
      if (hit) return { entry: hit.entry, method: hit.method, values: values.slice() };
    } else {
      const seg = segs[i]!;
      if (seg === '' && i === segs.length - 1) {
        const hit = this.pick(node.end, method, allowed);
        if (hit) return { entry: hit.entry, method: hit.method, values: values.slice() };
      }
      const lit = node.lit.get(seg.includes('%') ? safeDecode(seg) : seg);
      if (lit) {
        const r = this.walk(lit, segs, i + 1, method, values, allowed);
        if (r) return r;
      }
      if (node.param && seg !== '') {
        values.push(seg.includes('%') ? safeDecode(seg) : seg);
        const r = this.walk(node.param, segs, i + 1, method, values, allowed);
        values.pop();
        if (r) return r;
      }
    }
    // a tail needs at least one more (possibly empty) segment: "/static/" does not match "/static"
    if (i < segs.length) {
      const hit = this.pick(node.rest, method, allowed);
      if (hit)
        return {
          entry: hit.entry,
          method: hit.method,
          values: values.slice(),
          tail: segs.slice(i).map(safeDecode).join('/'),
        };
    }
    return undefined;
  }
}

function canonical(segments: Segment[]): string {
  return segments
    .map((s) => (s.kind === 'lit' ? s.value : s.kind === 'param' ? '{}' : s.kind === 'rest' ? '{...}' : '{$}'))
    .join('/');
}
