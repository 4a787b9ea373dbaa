// Build-time `${...}` expansion of module config strings (UPSTREAM.md 1.5): `${NAME}` and
// `${env:NAME}` read the environment; other `${scheme:ref}` use registered secret providers. If any
// reference in a string cannot be resolved, the whole string is left unchanged. Bare `$NAME` is not
// expanded. Step configs are not expanded here: there `${ }` is a runtime expression.

export type SecretResolver = (ref: string) => string | undefined;

export interface ExpansionOptions {
  env: Record<string, string | undefined>;
  /** scheme (e.g. "vault") -> resolver of the part after the colon. */
  secretProviders?: Record<string, SecretResolver>;
}

const REF = /\$\{([^}]*)\}/g;
const SCHEME = /^([A-Za-z0-9-]+):(.*)$/s;

export function expandString(s: string, opts: ExpansionOptions): string {
  if (!s.includes('${')) return s;
  let failed = false;
  const out = s.replace(REF, (whole, inner: string) => {
    const ref = inner.trim();
    const m = SCHEME.exec(ref);
    let value: string | undefined;
    if (!m) value = opts.env[ref];
    else if (m[1] === 'env') value = opts.env[m[2]!.trim()];
    else value = opts.secretProviders?.[m[1]!]?.(m[2]!);
    if (value === undefined) {
      failed = true;
      return whole;
    }
    return value;
  });
  return failed ? s : out;
}

/** Deep copy of a config value with every string expanded. */
export function expandConfig<T>(value: T, opts: ExpansionOptions): T {
  if (typeof value === 'string') return expandString(value, opts) as T;
  if (Array.isArray(value)) return value.map((v) => expandConfig(v, opts)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandConfig(v, opts);
    return out as T;
  }
  return value;
}
