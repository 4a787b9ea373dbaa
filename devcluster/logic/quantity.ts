// Kubernetes resource quantities ("500m", "1Gi", "2e3"): parsed to a plain number of base units (cores,
// bytes) for comparisons and sums, and formatted back in the canonical style kube-apiserver prints.
// Numbers are doubles: exact for every integer byte count below 8 PiB and for milli-units, which is all
// a quota or a claim's size needs.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** The quantity's value in base units, or undefined when `text` is not a quantity. */
export function parseQuantity(text: unknown): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  if (typeof text !== 'string') return undefined;
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return n * BINARY[suffix]!;
  if (suffix in DECIMAL) return n * DECIMAL[suffix]!;
  return n * 10 ** Number(suffix.slice(1));
}

/** The error kube-apiserver gives for a malformed quantity, or undefined when it is fine. */
export function quantityProblem(text: unknown): string | undefined {
  if (parseQuantity(text) !== undefined) return undefined;
  return "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
}

/**
 * Canonical form: binary suffixes for byte counts that are whole multiples of 1024, decimal ones
 * otherwise, and milli-units for fractions ("250m").
 */
export function formatQuantity(value: number, style: 'binary' | 'decimal' = 'decimal'): string {
  if (value === 0) return '0';
  const sign = value < 0 ? '-' : '';
  const v = Math.abs(value);
  if (!Number.isInteger(v)) {
    const milli = Math.round(v * 1000);
    return milli % 1000 === 0 ? `${sign}${milli / 1000}` : `${sign}${milli}m`;
  }
  if (style === 'binary') {
    for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
      if (v % BINARY[suffix]! === 0) return `${sign}${v / BINARY[suffix]!}${suffix}`;
    }
  }
  for (const suffix of ['E', 'P', 'T', 'G', 'M', 'k']) {
    if (v % DECIMAL[suffix]! === 0) return `${sign}${v / DECIMAL[suffix]!}${suffix}`;
  }
  return `${sign}${v}`;
}

/** The style a quantity was written in, so sums keep it ("1Gi" + "512Mi" = "1536Mi"). */
export function quantityStyle(text: unknown): 'binary' | 'decimal' {
  return typeof text === 'string' && /[KMGTPE]i$/.test(text.trim()) ? 'binary' : 'decimal';
}
