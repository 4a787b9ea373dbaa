// The engine's TemplateCompiler: compiles step config values once at build time (so a syntax error
// is a load-time config error with a location) and resolves them per execution.
import { ownValue } from '../../security/index.ts';
import {
  ConfigValueError,
  type CompiledValue,
  type ConfigPath,
  type PipelineContext,
  type TemplateCompiler,
} from '../contract.ts';
import { compileSimple, executeTemplate, materializeRoot, rootNamespace, type ExecEnv } from './execute.ts';
import { formatValue, NO_VALUE_TEXT } from './go-format.ts';
import { TEMPLATE_FUNCTIONS } from './functions.ts';
import { hasTemplateSyntax, parseTemplate, TemplateSyntaxError, type ParsedTemplate } from './go-template-parser.ts';
import { deepFreeze, isPlainMap } from './values.ts';
import type { TemplateNode } from './ast.ts';

export interface TemplateDiagnostics {
  error?: { message: string; offset: number };
  warnings: Array<{ message: string; offset: number; hint?: string }>;
}

export interface TemplateEngineOptions {
  /** Backs the `config KEY` function (a config.provider service). */
  configLookup?: (key: string) => string | undefined;
  /**
   * A template that does not parse compiles to one that throws the syntax error when rendered (upstream
   * parses templates when the step runs), instead of throwing a ConfigValueError now.
   */
  deferSyntaxErrors?: boolean;
}

/** A compiled template string. */
export interface CompiledTemplate {
  readonly source: string;
  render(pc: PipelineContext): string;
}

const STATIC_EMPTY: CompiledValue = { dynamic: false, resolve: () => undefined };

/** Problems a template has that do not stop parsing: unknown functions, wrong argument counts. */
function checkFunctions(parsed: ParsedTemplate, nodes: readonly TemplateNode[]): TemplateDiagnostics['warnings'] {
  const warnings: TemplateDiagnostics['warnings'] = [];
  for (const f of parsed.functions) {
    if (!TEMPLATE_FUNCTIONS[f.name]) {
      const hint = f.name.includes('-')
        ? `to read a step's output write {{ .steps.${f.name}.<field> }}; data needs a leading dot`
        : 'see the template function list in docs/engine.md; data is read with a leading dot, e.g. {{ .name }}';
      warnings.push({ message: `function "${f.name}" is not defined`, offset: f.offset, hint });
    }
  }
  visitCommands(nodes, (name, argc, offset) => {
    const f = TEMPLATE_FUNCTIONS[name];
    if (!f) return;
    if (argc < f.min || (f.max !== undefined && argc > f.max)) {
      const want = f.max === undefined ? `at least ${f.min}` : f.min === f.max ? String(f.min) : `${f.min} to ${f.max}`;
      warnings.push({ message: `wrong number of args for ${name}: want ${want} got ${argc}`, offset });
    }
  });
  return warnings;
}

function visitCommands(
  nodes: readonly TemplateNode[],
  visit: (name: string, argc: number, offset: number) => void,
): void {
  const visitPipe = (
    cmds: Array<{ args: Array<{ k: string; name?: string; pipe?: { cmds: unknown[] } }>; pos: number }>,
  ) => {
    cmds.forEach((cmd, i) => {
      const first = cmd.args[0];
      if (first?.k === 'func' && first.name) visit(first.name, cmd.args.length - 1 + (i > 0 ? 1 : 0), cmd.pos);
      for (const a of cmd.args) if (a.k === 'pipe' && a.pipe) visitPipe(a.pipe.cmds as typeof cmds);
    });
  };
  for (const node of nodes) {
    if ('pipe' in node) visitPipe(node.pipe.cmds as never);
    if ('list' in node) visitCommands(node.list, visit);
    if ('elseList' in node && node.elseList) visitCommands(node.elseList, visit);
  }
}

export class TemplateEngine implements TemplateCompiler {
  private readonly configLookup?: (key: string) => string | undefined;
  private readonly deferSyntaxErrors: boolean;

  constructor(opts: TemplateEngineOptions = {}) {
    this.configLookup = opts.configLookup;
    this.deferSyntaxErrors = opts.deferSyntaxErrors === true;
  }

  /** Syntax check for the validator: a parse error, plus warnings for unknown functions. */
  check(source: string): TemplateDiagnostics {
    if (!hasTemplateSyntax(source)) return { warnings: [] };
    try {
      const parsed = parseTemplate(source);
      return { warnings: checkFunctions(parsed, parsed.nodes) };
    } catch (err) {
      if (err instanceof TemplateSyntaxError)
        return { error: { message: err.message, offset: err.offset }, warnings: [] };
      throw err;
    }
  }

  compileString(source: string, path: ConfigPath = []): CompiledTemplate {
    if (!hasTemplateSyntax(source)) return { source, render: () => source };
    let parsed: ParsedTemplate;
    try {
      parsed = parseTemplate(source);
    } catch (err) {
      if (err instanceof TemplateSyntaxError) {
        const message = `template syntax error at offset ${err.offset}: ${err.message}`;
        if (this.deferSyntaxErrors)
          return {
            source,
            render: () => {
              throw new Error(message);
            },
          };
        throw new ConfigValueError(message, {
          path,
          hint: 'fix the {{ }} / ${ } expression (see docs/engine.md, "Templates")',
        });
      }
      throw err;
    }
    const nodes = parsed.nodes;
    // a plain string without actions after all (e.g. "$" before "{{" only)
    if (nodes.length === 1 && nodes[0]!.kind === 'text') {
      const text = nodes[0]!.text;
      return { source, render: () => text };
    }
    const warned = new Set<string>();
    const configLookup = this.configLookup;
    const execute = compileSimple(nodes) ?? ((env: ExecEnv) => executeTemplate(nodes, env));
    return {
      source,
      render(pc: PipelineContext): string {
        const env: ExecEnv = { pc, strict: pc.strictTemplates === true, missing: [], configLookup };
        const out = execute(env);
        if (env.missing.length > 0) {
          const key = env.missing.join(',');
          if (!warned.has(key)) {
            warned.add(key);
            pc.logger.warn(
              { pipeline: pc.pipelineName, missingKeys: env.missing },
              'template resolved missing key to zero value',
            );
          }
        }
        return out;
      },
    };
  }

  compile(value: unknown, path: ConfigPath = []): CompiledValue {
    if (value === undefined) return STATIC_EMPTY;
    if (typeof value === 'string') {
      if (!hasTemplateSyntax(value)) return constant(value);
      const t = this.compileString(value, path);
      return { dynamic: true, resolve: (ctx) => t.render(ctx) };
    }
    if (Array.isArray(value)) {
      const items = value.map((v, i) => this.compile(v, [...path, i]));
      if (!items.some((i) => i.dynamic)) return constant(value);
      return { dynamic: true, resolve: (ctx) => items.map((i) => i.resolve(ctx)) };
    }
    if (isPlainMap(value)) {
      const entries = Object.entries(value).map(([k, v]) => [k, this.compile(v, [...path, k])] as const);
      if (!entries.some(([, c]) => c.dynamic)) return constant(value);
      return {
        dynamic: true,
        resolve: (ctx) => {
          const out: Record<string, unknown> = {};
          for (const [k, c] of entries) out[k] = c.resolve(ctx);
          return out;
        },
      };
    }
    return constant(value);
  }

  lookup(ctx: PipelineContext, dottedPath: string): unknown {
    return lookupPath(ctx, dottedPath);
  }

  truthy(value: unknown): boolean {
    return guardTruthy(value);
  }
}

function constant(value: unknown): CompiledValue {
  const frozen = deepFreeze(value);
  return { dynamic: false, resolve: () => frozen };
}

/**
 * Resolve a dotted path (`steps.parse.body.id`, `body.items`, `.`, `event_type`) against the
 * template root. Numeric segments index arrays. Missing -> undefined.
 */
export function lookupPath(ctx: PipelineContext, dottedPath: string): unknown {
  const path = dottedPath.trim().replace(/^\./, '');
  if (path === '') return materializeRoot(ctx);
  const segments = path.split('.');
  const head = segments[0]!;
  let cur: unknown = rootNamespace(ctx, head) ?? ownValue(ctx.current, head);
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    if (Array.isArray(cur)) {
      const idx = Number(seg);
      cur = Number.isInteger(idx) ? cur[idx] : undefined;
    } else if (isPlainMap(cur)) {
      cur = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    } else {
      return undefined;
    }
  }
  return cur;
}

/** Guard truth (skip_if / if): the rendered text, trimmed, is not "", "false", "0" or "<no value>". */
export function guardTruthy(value: unknown): boolean {
  const s = (
    typeof value === 'string' ? value : value === null || value === undefined ? '' : formatValue(value)
  ).trim();
  return s !== '' && s !== 'false' && s !== '0' && s !== NO_VALUE_TEXT;
}
