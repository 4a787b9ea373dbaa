// Label and field selectors: parse once per request, match per object. Grammar and error wording
// follow k8s.io/apimachinery/pkg/labels and pkg/fields.
import { badRequest } from '../api/errors.ts';

export interface LabelRequirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';
  /** Empty for exists/!; one integer for gt/lt. */
  values: string[];
}

export type LabelSelector = LabelRequirement[];

export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text?.trim()) return [];
  const out: LabelSelector = [];
  for (const part of splitTopLevel(text)) {
    const req = part.trim();
    if (!req) throw badRequest(`unable to parse requirement: empty requirement in label selector "${text}"`);
    out.push(parseRequirement(req, text));
  }
  return out;
}

function parseRequirement(req: string, whole: string): LabelRequirement {
  const fail = (why: string) => badRequest(`unable to parse requirement: ${why} (in label selector "${whole}")`);
  let m = /^!\s*([^\s=!<>(),]+)$/.exec(req);
  if (m) return { key: checkKey(m[1]!, fail), op: '!', values: [] };
  m = /^([^\s=!<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(req);
  if (m) {
    const values = m[3]!.split(',').map((v) => v.trim());
    if (values.some((v) => /[\s=!()]/.test(v))) throw fail(`invalid value in set "${m[3]}"`);
    return { key: checkKey(m[1]!, fail), op: m[2] as 'in' | 'notin', values };
  }
  m = /^([^\s=!<>(),]+)\s*(==|=|!=|>|<)\s*([^\s=!<>(),]*)$/.exec(req);
  if (m) {
    const key = checkKey(m[1]!, fail);
    const value = m[3]!;
    if (m[2] === '>' || m[2] === '<') {
      if (!/^-?\d+$/.test(value)) throw fail(`for 'Gt', 'Lt' operators, the value must be an integer: "${value}"`);
      return { key, op: m[2] === '>' ? 'gt' : 'lt', values: [value] };
    }
    return { key, op: m[2] === '!=' ? 'notin' : 'in', values: [value] };
  }
  m = /^([^\s=!<>(),]+)$/.exec(req);
  if (m) return { key: checkKey(m[1]!, fail), op: 'exists', values: [] };
  throw fail(
    `"${req}" is not a valid requirement; expected key, !key, key=value, key!=value, key in (a,b) or key notin (a,b)`,
  );
}

function checkKey(key: string, fail: (why: string) => Error): string {
  if (key.length > 316 || !/^([a-z0-9A-Z.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(key)) {
    throw fail(
      `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and ` +
        `must start and end with an alphanumeric character`,
    );
  }
  return key;
}

/** Split on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const req of selector) {
    const has = labels !== undefined && Object.hasOwn(labels, req.key);
    const value = has ? labels![req.key]! : undefined;
    switch (req.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'in':
        if (!has || !req.values.includes(value!)) return false;
        break;
      case 'notin':
        if (has && req.values.includes(value!)) return false;
        break;
      case 'gt':
        if (!has || !(Number(value) > Number(req.values[0]))) return false;
        break;
      case 'lt':
        if (!has || !(Number(value) < Number(req.values[0]))) return false;
        break;
    }
  }
  return true;
}

/** The structured form used in Deployment/Service selectors (metav1.LabelSelector). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export function fromLabelSelectorObject(sel: LabelSelectorObject | undefined | null): LabelSelector {
  if (!sel) return [];
  const out: LabelSelector = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) out.push({ key, op: 'in', values: [value] });
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') out.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (e.operator === 'NotIn') out.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (e.operator === 'Exists') out.push({ key: e.key, op: 'exists', values: [] });
    else out.push({ key: e.key, op: '!', values: [] });
  }
  return out;
}

export function formatLabelSelector(selector: LabelSelector): string {
  return selector
    .map((r) => {
      if (r.op === 'exists' || r.op === '!') return r.op === '!' ? `!${r.key}` : r.key;
      if (r.op === 'gt' || r.op === 'lt') return `${r.key}${r.op === 'gt' ? '>' : '<'}${r.values[0]}`;
      if (r.values.length === 1) return `${r.key}${r.op === 'in' ? '=' : '!='}${r.values[0]}`;
      return `${r.key} ${r.op} (${r.values.join(',')})`;
    })
    .join(',');
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export type FieldSelector = FieldRequirement[];

export function parseFieldSelector(text: string | undefined, supported: readonly string[]): FieldSelector {
  if (!text?.trim()) return [];
  const out: FieldSelector = [];
  for (const part of splitUnescaped(text, ',')) {
    const m = /^(.*?)(==|!=|=)(.*)$/s.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    if (!supported.includes(field)) throw badRequest(`field label not supported: ${field}`);
    out.push({ field, op: m[2] === '!=' ? '!=' : '=', value: unescapeSelectorValue(m[3]!) });
  }
  return out;
}

function splitUnescaped(text: string, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[++i];
    } else if (ch === sep) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

function unescapeSelectorValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

export function matchesFields(selector: FieldSelector, fields: (field: string) => string): boolean {
  return selector.every((r) => (fields(r.field) === r.value) === (r.op === '='));
}

/** The single name a `metadata.name=x` selector pins, which lets list/watch skip a scan. */
export function pinnedName(selector: FieldSelector): string | undefined {
  return selector.find((r) => r.field === 'metadata.name' && r.op === '=')?.value;
}
