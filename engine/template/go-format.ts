// Go's fmt conventions for template output: `{{ .x }}` prints a value the way Go's `%v` would, so
// configs written for the upstream engine render the same text here (maps as `map[k:v]` with sorted
// keys, slices as `[a b]`, nil as `<nil>`, a missing value as `<no value>`).

/** Marker for "no value" (Go's invalid reflect.Value): a missing map key or a nil interface. */
export const NO_VALUE_TEXT = '<no value>';

export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  // Go's %v for float64 is %g with the shortest representation: exponent only beyond 1e21 or below 1e-4.
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Go `%v` of a value nested inside a collection. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return formatNumber(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'function':
      return '<func>';
    case 'object':
      break;
    default:
      return String(v);
  }
  if (Array.isArray(v)) return '[' + v.map(formatValue).join(' ') + ']';
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return '[' + Array.from(v).join(' ') + ']';
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  return 'map[' + keys.map((k) => `${k}:${formatValue(obj[k])}`).join(' ') + ']';
}

/** What `{{ pipeline }}` prints: like %v, except a top-level nil prints `<no value>`. */
export function formatOutput(v: unknown): string {
  if (v === null || v === undefined) return NO_VALUE_TEXT;
  if (typeof v === 'string') return v;
  return formatValue(v);
}

/** Go's %q for strings: a double-quoted, escaped string literal. */
export function quoteGo(s: string): string {
  return JSON.stringify(s);
}

/**
 * A practical subset of Go's fmt.Sprintf: verbs %v %+v %s %q %d %f %F %e %g %t %x %X %o %b %c %T %%
 * with flags (-, +, 0, space), width and precision. Missing operands print `%!v(MISSING)` like Go.
 */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argIndex = 0;
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    i++;
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    let flags = '';
    while (i < format.length && '-+ 0#'.includes(format[i]!)) flags += format[i++];
    let width = '';
    while (i < format.length && /[0-9]/.test(format[i]!)) width += format[i++];
    let precision: number | undefined;
    if (format[i] === '.') {
      i++;
      let p = '';
      while (i < format.length && /[0-9]/.test(format[i]!)) p += format[i++];
      precision = p === '' ? 0 : Number(p);
    }
    const verb = format[i];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argIndex++];
    out += pad(formatVerb(verb, arg, flags, precision), width === '' ? 0 : Number(width), flags);
  }
  if (argIndex < args.length) {
    out +=
      '%!(EXTRA ' +
      args
        .slice(argIndex)
        .map((a) => `${goTypeName(a)}=${formatValue(a)}`)
        .join(', ') +
      ')';
  }
  return out;
}

function pad(s: string, width: number, flags: string): string {
  if (s.length >= width) return s;
  if (flags.includes('-')) return s.padEnd(width, ' ');
  if (flags.includes('0') && /^[+-]?[0-9.]/.test(s)) {
    const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  }
  return s.padStart(width, ' ');
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return undefined;
  return undefined;
}

function formatVerb(verb: string, arg: unknown, flags: string, precision: number | undefined): string {
  const n = toNumber(arg);
  switch (verb) {
    case 'v':
      if (flags.includes('+') && arg && typeof arg === 'object' && !Array.isArray(arg)) {
        return formatValue(arg);
      }
      return formatValue(arg);
    case 's':
      return precision !== undefined ? formatValue(arg).slice(0, precision) : formatValue(arg);
    case 'q':
      return typeof arg === 'string'
        ? quoteGo(arg)
        : n !== undefined && Number.isInteger(n)
          ? `'${String.fromCodePoint(n)}'`
          : `%!q(${goTypeName(arg)}=${formatValue(arg)})`;
    case 't':
      return typeof arg === 'boolean' ? String(arg) : `%!t(${goTypeName(arg)}=${formatValue(arg)})`;
    case 'd':
      if (n === undefined || !Number.isInteger(n)) return `%!d(${goTypeName(arg)}=${formatValue(arg)})`;
      return withSign(String(Math.trunc(n)), n, flags);
    case 'f':
    case 'F':
      if (n === undefined) return `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
      return withSign(n.toFixed(precision ?? 6), n, flags);
    case 'e':
      if (n === undefined) return `%!e(${goTypeName(arg)}=${formatValue(arg)})`;
      return withSign(n.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2'), n, flags);
    case 'g':
      if (n === undefined) return `%!g(${goTypeName(arg)}=${formatValue(arg)})`;
      return withSign(
        precision !== undefined ? String(Number(n.toPrecision(Math.max(precision, 1)))) : formatNumber(n),
        n,
        flags,
      );
    case 'x':
    case 'X': {
      let s: string;
      if (typeof arg === 'string') s = Buffer.from(arg, 'utf8').toString('hex');
      else if (n !== undefined && Number.isInteger(n)) s = (n < 0 ? '-' : '') + Math.abs(n).toString(16);
      else return `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
      if (flags.includes('#')) s = '0x' + s;
      return verb === 'X' ? s.toUpperCase() : s;
    }
    case 'o':
      if (n === undefined || !Number.isInteger(n)) return `%!o(${goTypeName(arg)}=${formatValue(arg)})`;
      return n.toString(8);
    case 'b':
      if (n === undefined || !Number.isInteger(n)) return `%!b(${goTypeName(arg)}=${formatValue(arg)})`;
      return n.toString(2);
    case 'c':
      if (n === undefined || !Number.isInteger(n)) return `%!c(${goTypeName(arg)}=${formatValue(arg)})`;
      return String.fromCodePoint(n);
    case 'T':
      return goTypeName(arg);
    default:
      return `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
  }
}

function withSign(s: string, n: number, flags: string): string {
  if (n >= 0 && flags.includes('+')) return '+' + s;
  if (n >= 0 && flags.includes(' ')) return ' ' + s;
  return s;
}

/** The Go type a decoded YAML/JSON value would have, for %T and error messages. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int64';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'function') return 'func';
  return 'map[string]interface {}';
}
