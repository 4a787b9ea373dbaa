// Go duration strings ("300ms", "30s", "1h30m", "72h") as used throughout upstream configs.

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Go duration string; a bare number is taken as seconds. Throws on bad input. */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value !== 'string') throw new Error(`expected a duration like "30s" but got ${JSON.stringify(value)}`);
  const s = value.trim();
  if (s === '0') return 0;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let sign = 1;
  let rest = s;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched += m[0].length;
  }
  if (matched !== rest.length || rest.length === 0) {
    throw new Error(
      `invalid duration ${JSON.stringify(value)}: use a number with a unit, e.g. "300ms", "30s", "5m", "1h30m"`,
    );
  }
  return sign * total;
}

/** parseDuration with a default for absent values. */
export function durationOr(value: unknown, fallbackMs: number): number {
  return value === undefined || value === null || value === '' ? fallbackMs : parseDuration(value);
}
