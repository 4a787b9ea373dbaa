// The JSONPath subset CRD additionalPrinterColumns use: `.a.b`, `[0]`, `[*]`, `['k.x']` and filters
// `[?(@.type=="Ready")]`. Returns every match; a printer column shows the first. Own properties only.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: Step[]; op: '==' | '!=' | 'exists'; value?: unknown };

export class JsonPathError extends Error {}

export function compileJsonPath(expression: string): Step[] {
  let src = expression.trim();
  if (src.startsWith('{') && src.endsWith('}')) src = src.slice(1, -1);
  if (src.startsWith('$')) src = src.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '.') {
      i++;
      const m = /^[A-Za-z0-9_\-$]+/.exec(src.slice(i));
      if (!m) {
        if (src[i] === '[') continue;
        throw new JsonPathError(`unexpected "${src.slice(i)}" in JSONPath ${expression}`);
      }
      steps.push({ kind: 'field', name: m[0] });
      i += m[0].length;
    } else if (ch === '[') {
      const end = findClose(src, i);
      const inner = src.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(compileFilter(inner.slice(2, -1), expression));
      else throw new JsonPathError(`unsupported JSONPath segment [${inner}] in ${expression}`);
    } else {
      const m = /^[A-Za-z0-9_\-$]+/.exec(src.slice(i));
      if (!m) throw new JsonPathError(`unexpected "${src.slice(i)}" in JSONPath ${expression}`);
      steps.push({ kind: 'field', name: m[0] });
      i += m[0].length;
    }
  }
  return steps;
}

function findClose(src: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < src.length; i++) {
    const ch = src[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']' && --depth === 0) return i;
  }
  throw new JsonPathError(`unclosed [ in JSONPath ${src}`);
}

function compileFilter(text: string, expression: string): Step {
  const m = /^@((?:\.[A-Za-z0-9_-]+)+)\s*(?:(==|!=)\s*(.+))?$/.exec(text.trim());
  if (!m) throw new JsonPathError(`unsupported filter ?(${text}) in JSONPath ${expression}`);
  const path = compileJsonPath(m[1]!);
  if (!m[2]) return { kind: 'filter', path, op: 'exists' };
  const raw = m[3]!.trim();
  let value: unknown;
  if (/^'.*'$|^".*"$/.test(raw)) value = raw.slice(1, -1);
  else if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
  else value = raw;
  return { kind: 'filter', path, op: m[2] as '==' | '!=', value };
}

export function evaluateJsonPath(steps: Step[], root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if (v === null || v === undefined) continue;
      if (step.kind === 'field') {
        if (typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, step.name))
          next.push((v as Record<string, unknown>)[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(v)) {
          const item = v[step.index < 0 ? v.length + step.index : step.index];
          if (item !== undefined) next.push(item);
        }
      } else if (step.kind === 'all') {
        if (Array.isArray(v)) next.push(...v);
        else if (typeof v === 'object') next.push(...Object.values(v as object));
      } else {
        const items = Array.isArray(v) ? v : [v];
        for (const item of items) {
          const found = evaluateJsonPath(step.path, item);
          const ok =
            step.op === 'exists'
              ? found.length > 0
              : step.op === '=='
                ? found.some((f) => f === step.value)
                : !found.some((f) => f === step.value);
          if (ok) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}
