// A deliberately tiny stand-in for the engine's template evaluator, enough for unit tests of step
// factories: `{{ .a.b }}` / `{{ .steps.x.y }}` lookups and literal text. Anything richer is
// exercised through the real engine in the behavioural tests.
import type { CompiledValue, ConfigMap, PipelineContext, TemplateCompiler } from '../../engine/index.ts';

const EXPR = /\{\{\s*([^}]*?)\s*\}\}/g;

export const miniTemplates: TemplateCompiler = {
  compile(value: unknown): CompiledValue {
    const dynamic = containsTemplate(value);
    return { dynamic, resolve: (ctx) => (dynamic ? render(value, ctx) : value) };
  },
  lookup(ctx: PipelineContext, dottedPath: string): unknown {
    return lookupPath(rootOf(ctx), dottedPath);
  },
  truthy(value: unknown): boolean {
    const s = value === undefined || value === null ? '' : String(value).trim();
    return s !== '' && s !== 'false' && s !== '0';
  },
};

function containsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (value && typeof value === 'object') return Object.values(value).some(containsTemplate);
  return false;
}

function render(value: unknown, ctx: PipelineContext): unknown {
  if (typeof value === 'string') {
    return value.replace(EXPR, (_, expr: string) => {
      const v = lookupPath(rootOf(ctx), expr.replace(/^\./, ''));
      if (v === undefined || v === null) return '<no value>';
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => render(v, ctx));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, ctx)]));
  }
  return value;
}

function rootOf(ctx: PipelineContext): ConfigMap {
  return { ...ctx.current, steps: ctx.stepOutputs, trigger: ctx.triggerData, meta: ctx.metadata };
}

function lookupPath(root: unknown, dotted: string): unknown {
  const path = dotted.replace(/^\./, '');
  if (path === '') return root;
  let cur: unknown = root;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
