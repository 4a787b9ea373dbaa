// The template function table (UPSTREAM.md 1.9): the upstream engine's pipeline functions plus the
// Go text/template built-ins. Both `{{ }}` and `${ }` see the same functions; argument order
// follows Go pipelines, so `{{ .x | default "n" }}` is `default "n" .x`.
import { ownValue, setOwn } from '../../security/index.ts';
import { randomUUID } from 'node:crypto';
import { formatNumber, formatValue, goTypeName, quoteGo, sprintf } from './go-format.ts';
import {
  compareOrdered,
  isNumeric,
  isPlainMap,
  isTrue,
  lengthOf,
  toFloat,
  valuesEqual,
  type PlainMap,
} from './values.ts';
import type { PipelineContext } from '../contract.ts';

/** What a function can see besides its arguments. */
export interface FunctionEnv {
  pc: PipelineContext;
  strict: boolean;
  /** `config KEY` lookups (a config.provider service), when the app has one. */
  configLookup?: (key: string) => string | undefined;
}

export interface TemplateFunction {
  /** Minimum and maximum argument counts (max undefined = variadic); checked at compile time. */
  min: number;
  max?: number;
  call(env: FunctionEnv, args: unknown[]): unknown;
}

const fn = (min: number, max: number | undefined, call: TemplateFunction['call']): TemplateFunction => ({
  min,
  max,
  call,
});

const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : formatValue(v));

// Go's time layouts the `now` function accepts by name.
const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Format a UTC date with a Go reference-time layout ("2006-01-02T15:04:05Z07:00"). */
export function formatGoTime(d: Date, layout: string): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const tokens: Array<[string, () => string]> = [
    ['2006', () => String(d.getUTCFullYear())],
    ['January', () => MONTHS[d.getUTCMonth()]!],
    ['Monday', () => DAYS[d.getUTCDay()]!],
    ['Z07:00', () => 'Z'],
    ['-07:00', () => '+00:00'],
    ['-0700', () => '+0000'],
    ['.999999999', () => trimFraction(d.getUTCMilliseconds())],
    ['.000000000', () => '.' + String(d.getUTCMilliseconds()).padStart(3, '0') + '000000'],
    ['.000000', () => '.' + String(d.getUTCMilliseconds()).padStart(3, '0') + '000'],
    ['.000', () => '.' + String(d.getUTCMilliseconds()).padStart(3, '0')],
    ['Jan', () => MONTHS[d.getUTCMonth()]!.slice(0, 3)],
    ['Mon', () => DAYS[d.getUTCDay()]!.slice(0, 3)],
    ['MST', () => 'UTC'],
    ['06', () => p2(d.getUTCFullYear() % 100)],
    ['01', () => p2(d.getUTCMonth() + 1)],
    ['02', () => p2(d.getUTCDate())],
    ['_2', () => String(d.getUTCDate()).padStart(2, ' ')],
    ['15', () => p2(d.getUTCHours())],
    ['03', () => p2(d.getUTCHours() % 12 || 12)],
    ['04', () => p2(d.getUTCMinutes())],
    ['05', () => p2(d.getUTCSeconds())],
    ['PM', () => (d.getUTCHours() >= 12 ? 'PM' : 'AM')],
    ['pm', () => (d.getUTCHours() >= 12 ? 'pm' : 'am')],
    ['1', () => String(d.getUTCMonth() + 1)],
    ['2', () => String(d.getUTCDate())],
    ['3', () => String(d.getUTCHours() % 12 || 12)],
    ['4', () => String(d.getUTCMinutes())],
    ['5', () => String(d.getUTCSeconds())],
  ];
  let out = '';
  let i = 0;
  outer: while (i < layout.length) {
    for (const [tok, render] of tokens) {
      if (layout.startsWith(tok, i)) {
        out += render();
        i += tok.length;
        continue outer;
      }
    }
    out += layout[i];
    i++;
  }
  return out;
}

function trimFraction(ms: number): string {
  if (ms === 0) return '';
  return ('.' + String(ms).padStart(3, '0')).replace(/0+$/, '');
}

function toList(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  return undefined;
}

function field(item: unknown, keys: unknown[]): unknown {
  if (keys.length > 0 && isPlainMap(item)) return ownValue(item, str(keys[0]));
  return item;
}

function numericResult(values: unknown[], reduce: (a: number, b: number) => number): number | null {
  if (values.length === 0) return null;
  let acc = toFloat(values[0]);
  for (const v of values.slice(1)) acc = reduce(acc, toFloat(v));
  return acc;
}

function sortRank(v: unknown): [number, number, string] {
  if (v === null || v === undefined) return [2, 0, ''];
  if (typeof v === 'string') {
    const n = Number(v);
    return v.trim() !== '' && !Number.isNaN(n) ? [0, n, ''] : [1, 0, v];
  }
  if (isNumeric(v)) return [0, Number(v), ''];
  return [1, 0, formatValue(v)];
}

function indexInto(container: unknown, keys: unknown[]): unknown {
  let cur = container;
  for (const key of keys) {
    if (cur === null || cur === undefined) return null;
    if (Array.isArray(cur) || typeof cur === 'string') {
      if (!isNumeric(key) || !Number.isInteger(Number(key)))
        throw new Error(`cannot index slice/array with type ${goTypeName(key)}`);
      const i = Number(key);
      const len = cur.length;
      if (i < 0 || i >= len) throw new Error(`error calling index: index out of range: ${i}`);
      cur = Array.isArray(cur) ? cur[i] : cur.charCodeAt(i);
      continue;
    }
    if (isPlainMap(cur)) {
      cur = Object.hasOwn(cur, str(key)) ? cur[str(key)] : null;
      continue;
    }
    throw new Error(`can't index item of type ${goTypeName(cur)}`);
  }
  return cur;
}

function walkKeys(root: unknown, keys: unknown[], what: string, strict: boolean): unknown {
  let val = root;
  for (const key of keys) {
    if (!isPlainMap(val)) {
      if (strict) throw new Error(`${what}: value at key path is not a map (cannot access key ${quoteGo(str(key))})`);
      return null;
    }
    if (!Object.hasOwn(val, str(key))) {
      if (strict) throw new Error(`${what}: key ${quoteGo(str(key))} not found`);
      return null;
    }
    val = val[str(key)];
  }
  return val;
}

function htmlEscape(s: string): string {
  return s.replace(
    /[&<>"'\0]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;', '\0': '\uFFFD' })[c]!,
  );
}

function jsEscape(s: string): string {
  return s.replace(/[\\'"<>&=\n\r\t]/g, (c) => {
    const map: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return map[c] ?? '\\u' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  });
}

function goSprint(args: unknown[]): string {
  // Go's Sprint adds spaces between operands when neither is a string
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** Pipeline functions of the upstream engine. */
const PIPELINE_FUNCTIONS: Record<string, TemplateFunction> = {
  uuid: fn(0, 0, () => randomUUID()),
  uuidv4: fn(0, 0, () => randomUUID()),
  now: fn(0, 1, (_env, [layout]) => {
    const l = typeof layout === 'string' && layout !== '' ? (NAMED_LAYOUTS[layout] ?? layout) : NAMED_LAYOUTS.RFC3339!;
    return formatGoTime(new Date(), l);
  }),
  lower: fn(1, 1, (_e, [s]) => str(s).toLowerCase()),
  upper: fn(1, 1, (_e, [s]) => str(s).toUpperCase()),
  title: fn(1, 1, (_e, [s]) =>
    str(s)
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join(' '),
  ),
  default: fn(2, 2, (_e, [fallback, val]) => (val === null || val === undefined || val === '' ? fallback : val)),
  json: fn(1, 1, (_e, [v]) => {
    try {
      return JSON.stringify(v ?? null) ?? 'null';
    } catch {
      return '{}';
    }
  }),
  config: fn(1, 1, (env, [key]) => env.configLookup?.(str(key)) ?? ''),
  replace: fn(3, 3, (_e, [oldS, newS, s]) => str(s).split(str(oldS)).join(str(newS))),
  contains: fn(2, 2, (_e, [sub, s]) => str(s).includes(str(sub))),
  hasPrefix: fn(2, 2, (_e, [prefix, s]) => str(s).startsWith(str(prefix))),
  hasSuffix: fn(2, 2, (_e, [suffix, s]) => str(s).endsWith(str(suffix))),
  split: fn(2, 2, (_e, [sep, s]) => str(s).split(str(sep))),
  join: fn(2, 2, (_e, [sep, list]) => (Array.isArray(list) ? list.map(formatValue).join(str(sep)) : formatValue(list))),
  trimSpace: fn(1, 1, (_e, [s]) => str(s).trim()),
  trimPrefix: fn(2, 2, (_e, [prefix, s]) =>
    str(s).startsWith(str(prefix)) ? str(s).slice(str(prefix).length) : str(s),
  ),
  trimSuffix: fn(2, 2, (_e, [suffix, s]) =>
    str(suffix) !== '' && str(s).endsWith(str(suffix)) ? str(s).slice(0, -str(suffix).length) : str(s),
  ),
  urlEncode: fn(1, 1, (_e, [s]) =>
    encodeURIComponent(str(s))
      .replace(/%20/g, '+')
      .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()),
  ),
  b64: fn(1, 1, (_e, [s]) => Buffer.from(str(s), 'utf8').toString('base64')),
  b64enc: fn(1, 1, (_e, [s]) => Buffer.from(str(s), 'utf8').toString('base64')),
  b64dec: fn(1, 1, (_e, [s]) => Buffer.from(str(s), 'base64').toString('utf8')),
  add: fn(2, 2, (_e, [a, b]) => toFloat(a) + toFloat(b)),
  sub: fn(2, 2, (_e, [a, b]) => toFloat(a) - toFloat(b)),
  mul: fn(2, 2, (_e, [a, b]) => toFloat(a) * toFloat(b)),
  div: fn(2, 2, (_e, [a, b]) => (toFloat(b) === 0 ? 0 : toFloat(a) / toFloat(b))),
  toInt: fn(1, 1, (_e, [v]) => Math.trunc(toFloat(v))),
  toFloat: fn(1, 1, (_e, [v]) => toFloat(v)),
  toString: fn(1, 1, (_e, [v]) => formatValue(v)),
  length: fn(1, 1, (_e, [v]) => lengthOf(v) ?? 0),
  coalesce: fn(0, undefined, (_e, vals) => vals.find((v) => v !== null && v !== undefined && v !== '') ?? null),
  sum: fn(1, 2, (_e, [list, ...keys]) => {
    const items = toList(list);
    if (!items) return 0;
    return items.reduce<number>((acc, item) => acc + toFloat(field(item, keys)), 0);
  }),
  pluck: fn(2, 2, (_e, [list, key]) =>
    (toList(list) ?? []).filter(isPlainMap).map((m) => ownValue(m, str(key)) ?? null),
  ),
  flatten: fn(1, 1, (_e, [list]) => (toList(list) ?? []).flatMap((item) => (Array.isArray(item) ? item : [item]))),
  unique: fn(1, 2, (_e, [list, ...keys]) => {
    const seen = new Set<string>();
    const out: unknown[] = [];
    for (const item of toList(list) ?? []) {
      const k = formatValue(field(item, keys));
      if (!seen.has(k)) {
        seen.add(k);
        out.push(item);
      }
    }
    return out;
  }),
  groupBy: fn(2, 2, (_e, [list, key]) => {
    const groups: PlainMap = {};
    for (const item of toList(list) ?? []) {
      if (!isPlainMap(item)) continue;
      const k = formatValue(ownValue(item, str(key)));
      if (!Object.hasOwn(groups, k)) setOwn(groups, k, []);
      (groups[k] as unknown[]).push(item);
    }
    return groups;
  }),
  sortBy: fn(2, 2, (_e, [list, key]) => {
    const items = [...(toList(list) ?? [])];
    return items.sort((a, b) => {
      const [ra, na, sa] = sortRank(field(a, [key]));
      const [rb, nb, sb] = sortRank(field(b, [key]));
      if (ra !== rb) return ra - rb;
      if (ra === 0) return na - nb;
      if (ra === 1) return sa < sb ? -1 : sa > sb ? 1 : 0;
      return 0;
    });
  }),
  first: fn(1, 1, (_e, [list]) => (toList(list) ?? [])[0] ?? null),
  last: fn(1, 1, (_e, [list]) => {
    const items = toList(list) ?? [];
    return items.length ? items[items.length - 1] : null;
  }),
  min: fn(1, 2, (_e, [list, ...keys]) =>
    numericResult(
      (toList(list) ?? []).map((i) => field(i, keys)),
      Math.min,
    ),
  ),
  max: fn(1, 2, (_e, [list, ...keys]) =>
    numericResult(
      (toList(list) ?? []).map((i) => field(i, keys)),
      Math.max,
    ),
  ),
  // context helpers: {{ step "parse-request" "path_params" "id" }}, {{ trigger "k" }}
  step: fn(1, undefined, (env, [name, ...keys]) => {
    const out = ownValue(env.pc.stepOutputs, str(name));
    if (out === undefined || out === null) {
      if (env.strict) throw new Error(`step ${quoteGo(str(name))} not found in pipeline context`);
      return null;
    }
    return walkKeys(out, keys, `step ${quoteGo(str(name))}`, env.strict);
  }),
  trigger: fn(0, undefined, (env, keys) => walkKeys(env.pc.triggerData, keys, 'trigger', env.strict)),
};

/** Go text/template built-ins (and/or are evaluated lazily by the executor). */
const GO_BUILTINS: Record<string, TemplateFunction> = {
  and: fn(1, undefined, (_e, args) => {
    for (const a of args) if (!isTrue(a)) return a;
    return args[args.length - 1];
  }),
  or: fn(1, undefined, (_e, args) => {
    for (const a of args) if (isTrue(a)) return a;
    return args[args.length - 1];
  }),
  not: fn(1, 1, (_e, [a]) => !isTrue(a)),
  eq: fn(2, undefined, (_e, [a, ...rest]) => rest.some((b) => valuesEqual(a, b))),
  ne: fn(2, 2, (_e, [a, b]) => !valuesEqual(a, b)),
  lt: fn(2, 2, (_e, [a, b]) => compareOrdered(a, b, '<')),
  le: fn(2, 2, (_e, [a, b]) => compareOrdered(a, b, '<=')),
  gt: fn(2, 2, (_e, [a, b]) => compareOrdered(a, b, '>')),
  ge: fn(2, 2, (_e, [a, b]) => compareOrdered(a, b, '>=')),
  len: fn(1, 1, (_e, [v]) => {
    const n = lengthOf(v);
    if (n === undefined)
      throw new Error(
        `error calling len: len of ${v === null || v === undefined ? 'nil pointer' : `type ${goTypeName(v)}`}`,
      );
    return n;
  }),
  index: fn(1, undefined, (_e, [container, ...keys]) => indexInto(container, keys)),
  slice: fn(1, 4, (_e, [v, ...idx]) => {
    if (typeof v !== 'string' && !Array.isArray(v)) throw new Error(`can't slice item of type ${goTypeName(v)}`);
    const start = idx.length > 0 ? toFloat(idx[0]) : 0;
    const end = idx.length > 1 ? toFloat(idx[1]) : v.length;
    if (start < 0 || end > v.length || start > end)
      throw new Error(`error calling slice: index out of range: ${start}:${end}`);
    return v.slice(start, end);
  }),
  print: fn(0, undefined, (_e, args) => goSprint(args)),
  println: fn(0, undefined, (_e, args) => args.map(formatValue).join(' ') + '\n'),
  printf: fn(1, undefined, (_e, [format, ...args]) => sprintf(str(format), args)),
  html: fn(0, undefined, (_e, args) => htmlEscape(goSprint(args))),
  js: fn(0, undefined, (_e, args) => jsEscape(goSprint(args))),
  urlquery: fn(0, undefined, (_e, args) => encodeURIComponent(goSprint(args)).replace(/%20/g, '+')),
  call: fn(1, undefined, (_e, [f, ...args]) => {
    if (typeof f !== 'function') throw new Error(`non-function of type ${goTypeName(f)}`);
    return (f as (...a: unknown[]) => unknown)(...args);
  }),
};

/**
 * Name -> function, without a prototype: a lookup by a name from a config (`constructor`, `toString`,
 * `__proto__`) finds only the functions listed here, never Object.prototype's members.
 */
function functionTable(entries: Record<string, TemplateFunction>): Readonly<Record<string, TemplateFunction>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, TemplateFunction>, entries));
}

export const TEMPLATE_FUNCTIONS = functionTable({ ...GO_BUILTINS, ...PIPELINE_FUNCTIONS });

/** Names of every function, for documentation and `wfctl schema`. */
export const TEMPLATE_FUNCTION_NAMES: readonly string[] = Object.keys(TEMPLATE_FUNCTIONS).sort();

/** expr-lang built-ins available in `${ }` besides the template functions. */
export const EXPR_BUILTINS = functionTable({
  len: fn(1, 1, (_e, [v]) => lengthOf(v) ?? 0),
  trim: fn(1, 2, (_e, [s, chars]) =>
    chars === undefined
      ? str(s).trim()
      : str(s).replace(new RegExp(`^[${escapeClass(str(chars))}]+|[${escapeClass(str(chars))}]+$`, 'g'), ''),
  ),
  int: fn(1, 1, (_e, [v]) => Math.trunc(toFloat(v))),
  float: fn(1, 1, (_e, [v]) => toFloat(v)),
  string: fn(1, 1, (_e, [v]) => formatValue(v)),
  abs: fn(1, 1, (_e, [v]) => Math.abs(toFloat(v))),
  round: fn(1, 1, (_e, [v]) => Math.round(toFloat(v))),
  floor: fn(1, 1, (_e, [v]) => Math.floor(toFloat(v))),
  ceil: fn(1, 1, (_e, [v]) => Math.ceil(toFloat(v))),
  keys: fn(1, 1, (_e, [m]) => (isPlainMap(m) ? Object.keys(m) : [])),
  values: fn(1, 1, (_e, [m]) => (isPlainMap(m) ? Object.values(m) : [])),
  toJSON: fn(1, 1, (_e, [v]) => JSON.stringify(v ?? null, null, 2)),
  fromJSON: fn(1, 1, (_e, [s]) => JSON.parse(str(s))),
  type: fn(1, 1, (_e, [v]) =>
    v === null || v === undefined
      ? 'nil'
      : Array.isArray(v)
        ? 'array'
        : isPlainMap(v)
          ? 'map'
          : isNumeric(v)
            ? Number.isInteger(v)
              ? 'int'
              : 'float'
            : typeof v,
  ),
  now: PIPELINE_FUNCTIONS.now!,
  toNumber: fn(1, 1, (_e, [v]) => toFloat(v)),
  formatNumber: fn(1, 1, (_e, [v]) => formatNumber(toFloat(v))),
});

function escapeClass(s: string): string {
  return s.replace(/[\\\]^-]/g, '\\$&');
}
