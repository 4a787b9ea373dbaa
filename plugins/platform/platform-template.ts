// Platform templates from the top-level `platform.templates` section: parameters with types,
// defaults and validation patterns, and `${param}` placeholders in the template body. Pure.
import { isPlainObject } from '../support/index.ts';

export interface TemplateParameter {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
  validation?: string;
  description?: string;
}

export interface PlatformTemplate {
  name: string;
  version: string;
  description: string;
  tier?: number;
  parameters: TemplateParameter[];
  /** Everything else (capabilities, outputs...), rendered with the parameters. */
  body: Record<string, unknown>;
}

export function parseTemplates(raw: unknown): PlatformTemplate[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isPlainObject).map((t, i) => {
    const { name, version, description, tier, parameters, ...body } = t;
    if (typeof name !== 'string' || name === '') throw new Error(`platform.templates[${i}] needs a name`);
    return {
      name,
      version: String(version ?? '0.0.0'),
      description: typeof description === 'string' ? description : '',
      tier: typeof tier === 'number' ? tier : undefined,
      parameters: (Array.isArray(parameters) ? parameters : []).filter(isPlainObject).map((p) => ({
        name: String(p.name),
        type: typeof p.type === 'string' ? p.type : 'string',
        required: p.required === true,
        default: p.default,
        validation: typeof p.validation === 'string' ? p.validation : undefined,
        description: typeof p.description === 'string' ? p.description : undefined,
      })),
      body,
    };
  });
}

/** Resolve parameters (defaults, types, patterns) and substitute them; problems are listed, not thrown one by one. */
export function renderTemplate(
  template: PlatformTemplate,
  given: Record<string, unknown>,
): { ok: true; rendered: Record<string, unknown> } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const p of template.parameters) {
    const value = given[p.name] ?? p.default;
    if (value === undefined || value === '') {
      if (p.required) problems.push(`parameter "${p.name}" is required`);
      continue;
    }
    if ((p.type === 'int' || p.type === 'integer') && !Number.isInteger(Number(value)))
      problems.push(`parameter "${p.name}" must be an integer, got ${JSON.stringify(value)}`);
    if (p.validation && !new RegExp(p.validation).test(String(value)))
      problems.push(`parameter "${p.name}" does not match ${p.validation}`);
    values[p.name] = value;
  }
  const unknown = Object.keys(given).filter((k) => !template.parameters.some((p) => p.name === k));
  if (unknown.length > 0) problems.push(`unknown parameter(s): ${unknown.join(', ')}`);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, rendered: substitute(template.body, values) as Record<string, unknown> };
}

function substitute(value: unknown, values: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{(\w+)\}$/.exec(value);
    if (whole && whole[1] in values) return values[whole[1]];
    return value.replace(/\$\{(\w+)\}/g, (m, name: string) => (name in values ? String(values[name]) : m));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, values));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, values)]));
  return value;
}
