// Executes a parsed template against a pipeline context. The data root is the flat `Current` map
// plus `steps`, `trigger` and `meta` (those three win over same-named Current keys), looked up
// without copying Current per evaluation.
import { compileLinearRegExp } from '../../security/index.ts';
import type { Command, ExprNode, Operand, Pipe, TemplateNode } from './ast.ts';
import { formatOutput, formatValue } from './go-format.ts';
import { EXPR_BUILTINS, TEMPLATE_FUNCTIONS, type FunctionEnv, type TemplateFunction } from './functions.ts';
import { compareOrdered, isPlainMap, isTrue, toFloat, valuesEqual, type PlainMap } from './values.ts';
import type { PipelineContext } from '../contract.ts';

export class TemplateExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

/** Thrown in strict mode for a missing map key (upstream: missingkey=error). */
export class MissingKeyError extends TemplateExecError {}

/** The template root: `.` before any range/with changes it. */
const ROOT = Symbol('root');
type Dot = unknown;

export interface ExecEnv extends FunctionEnv {
  /** Missing keys seen in lenient mode, for one WARN log per resolution. */
  missing: string[];
}

export function rootNamespace(pc: PipelineContext, name: string): unknown {
  switch (name) {
    case 'steps':
      return pc.stepOutputs;
    case 'trigger':
      return pc.triggerData;
    case 'meta':
      return pc.metadata;
    default:
      return undefined;
  }
}

function rootHas(pc: PipelineContext, name: string): boolean {
  return name === 'steps' || name === 'trigger' || name === 'meta' || Object.hasOwn(pc.current, name);
}

/** The root materialised as a plain map (only when a template uses bare `.` or `$` as a value). */
export function materializeRoot(pc: PipelineContext): PlainMap {
  return { ...pc.current, steps: pc.stepOutputs, trigger: pc.triggerData, meta: pc.metadata };
}

function missing(env: ExecEnv, key: string): null {
  if (env.strict) throw new MissingKeyError(`map has no entry for key "${key}"`);
  env.missing.push(key);
  return null;
}

/** Look up a field chain starting at `dot`. Missing keys follow the strict/lenient rule. */
export function walkChain(env: ExecEnv, dot: Dot, chain: readonly string[]): unknown {
  let cur: unknown = dot;
  for (let i = 0; i < chain.length; i++) {
    const key = chain[i]!;
    if (cur === ROOT) {
      if (!rootHas(env.pc, key)) return missing(env, key);
      cur = rootNamespace(env.pc, key) ?? env.pc.current[key];
      continue;
    }
    if (cur === null || cur === undefined) {
      // Upstream (Go) fails with "nil pointer evaluating interface {}.key"; a missing parent is treated
      // like a missing key instead, so optional nested data renders as a zero value.
      return missing(env, key);
    }
    if (isPlainMap(cur)) {
      if (!Object.hasOwn(cur, key)) return missing(env, key);
      cur = cur[key];
      continue;
    }
    throw new TemplateExecError(
      `can't evaluate field ${key} in type ${Array.isArray(cur) ? '[]interface {}' : typeof cur}`,
    );
  }
  return cur === ROOT ? materializeRoot(env.pc) : cur;
}

interface Frame {
  vars: Array<[string, unknown]>;
  out: string[];
}

class LoopSignal {
  constructor(readonly kind: 'break' | 'continue') {}
}

/**
 * The common case — text and plain field lookups like `hello {{ .steps.parse.name }}` — compiled to a
 * direct renderer (no frames, no pipeline machinery); undefined when a template needs the full
 * executor.
 */
export function compileSimple(nodes: readonly TemplateNode[]): ((env: ExecEnv) => string) | undefined {
  const parts: Array<string | readonly string[]> = [];
  for (const node of nodes) {
    if (node.kind === 'text') parts.push(node.text);
    else if (
      node.kind === 'action' &&
      node.pipe.decl.length === 0 &&
      node.pipe.cmds.length === 1 &&
      node.pipe.cmds[0]!.args.length === 1
    ) {
      const op = node.pipe.cmds[0]!.args[0]!;
      if (op.k !== 'field' || op.chain.length === 0) return undefined;
      parts.push(op.chain);
    } else return undefined;
  }
  return (env) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : formatOutput(walkChain(env, ROOT, p));
    return out;
  };
}

export function executeTemplate(nodes: readonly TemplateNode[], env: ExecEnv): string {
  const frame: Frame = { vars: [['$', ROOT]], out: [] };
  walkList(nodes, ROOT, env, frame);
  return frame.out.join('');
}

function walkList(nodes: readonly TemplateNode[], dot: Dot, env: ExecEnv, frame: Frame): void {
  for (const node of nodes) walkNode(node, dot, env, frame);
}

function walkNode(node: TemplateNode, dot: Dot, env: ExecEnv, frame: Frame): void {
  switch (node.kind) {
    case 'text':
      frame.out.push(node.text);
      return;
    case 'action': {
      const v = evalPipe(node.pipe, dot, env, frame);
      if (node.pipe.decl.length === 0) frame.out.push(formatOutput(v === ROOT ? materializeRoot(env.pc) : v));
      return;
    }
    case 'expr':
      frame.out.push(stringifyExprResult(evalExpr(node.expr, env)));
      return;
    case 'if':
    case 'with': {
      const mark = frame.vars.length;
      const v = evalPipe(node.pipe, dot, env, frame);
      if (isTrue(v === ROOT ? true : v)) walkList(node.list, node.kind === 'with' ? v : dot, env, frame);
      else if (node.elseList) walkList(node.elseList, dot, env, frame);
      frame.vars.length = mark;
      return;
    }
    case 'range':
      walkRange(node, dot, env, frame);
      return;
    case 'break':
    case 'continue':
      throw new LoopSignal(node.kind);
  }
}

function walkRange(node: Extract<TemplateNode, { kind: 'range' }>, dot: Dot, env: ExecEnv, frame: Frame): void {
  const mark = frame.vars.length;
  // evaluate the value without declaring (the decl names bind per iteration)
  const value = evalCommands(node.pipe.cmds, dot, env, frame);
  let entries: Array<[unknown, unknown]>;
  if (Array.isArray(value)) entries = value.map((v, i) => [i, v]);
  else if (isPlainMap(value))
    entries = Object.keys(value)
      .sort()
      .map((k) => [k, value[k]]);
  else if (typeof value === 'number' && Number.isInteger(value))
    entries = Array.from({ length: Math.max(0, value) }, (_, i) => [i, i]);
  else if (value === null || value === undefined) entries = [];
  else throw new TemplateExecError(`range can't iterate over ${formatValue(value)}`);
  if (entries.length === 0) {
    if (node.elseList) walkList(node.elseList, dot, env, frame);
    return;
  }
  const decl = node.pipe.decl;
  for (const [k, v] of entries) {
    frame.vars.length = mark;
    if (decl.length === 1) frame.vars.push([decl[0]!, v]);
    else if (decl.length === 2) frame.vars.push([decl[0]!, k], [decl[1]!, v]);
    try {
      walkList(node.list, v, env, frame);
    } catch (err) {
      if (err instanceof LoopSignal) {
        if (err.kind === 'break') break;
        continue;
      }
      throw err;
    }
  }
  frame.vars.length = mark;
}

function evalPipe(pipe: Pipe, dot: Dot, env: ExecEnv, frame: Frame): unknown {
  const value = evalCommands(pipe.cmds, dot, env, frame);
  for (const name of pipe.decl) {
    if (pipe.isAssign) {
      const slot = findVar(frame, name);
      if (!slot) throw new TemplateExecError(`undefined variable: ${name}`);
      slot[1] = value;
    } else {
      frame.vars.push([name, value]);
    }
  }
  return value;
}

function findVar(frame: Frame, name: string): [string, unknown] | undefined {
  for (let i = frame.vars.length - 1; i >= 0; i--) if (frame.vars[i]![0] === name) return frame.vars[i];
  return undefined;
}

function evalCommands(cmds: readonly Command[], dot: Dot, env: ExecEnv, frame: Frame): unknown {
  let value: unknown;
  let hasFinal = false;
  for (const cmd of cmds) {
    value = evalCommand(cmd, dot, env, frame, hasFinal, value);
    hasFinal = true;
  }
  return value;
}

function evalCommand(cmd: Command, dot: Dot, env: ExecEnv, frame: Frame, hasFinal: boolean, final: unknown): unknown {
  const first = cmd.args[0]!;
  if (first.k === 'func') {
    const result = callFunction(first.name, cmd.args.slice(1), dot, env, frame, hasFinal, final);
    return first.chain.length ? walkChain(env, result, first.chain) : result;
  }
  if (cmd.args.length > 1 || hasFinal) {
    throw new TemplateExecError(`can't give argument to non-function ${describeOperand(first)}`);
  }
  return evalOperand(first, dot, env, frame);
}

function describeOperand(op: Operand): string {
  switch (op.k) {
    case 'field':
      return '.' + op.chain.join('.');
    case 'var':
      return [op.name, ...op.chain].join('.');
    case 'lit':
      return JSON.stringify(op.value);
    default:
      return op.k;
  }
}

function evalOperand(op: Operand, dot: Dot, env: ExecEnv, frame: Frame): unknown {
  switch (op.k) {
    case 'lit':
      return op.value;
    case 'field':
      return op.chain.length === 0 ? (dot === ROOT ? materializeRoot(env.pc) : dot) : walkChain(env, dot, op.chain);
    case 'var': {
      const slot = findVar(frame, op.name);
      if (!slot) throw new TemplateExecError(`undefined variable: ${op.name}`);
      return walkChain(env, slot[1], op.chain);
    }
    case 'pipe': {
      const mark = frame.vars.length;
      const v = evalCommands(op.pipe.cmds, dot, env, frame);
      frame.vars.length = mark;
      return op.chain.length ? walkChain(env, v, op.chain) : v;
    }
    case 'func':
      return callFunction(op.name, [], dot, env, frame, false, undefined);
  }
}

export function lookupFunction(name: string): TemplateFunction | undefined {
  return TEMPLATE_FUNCTIONS[name];
}

function callFunction(
  name: string,
  argOps: readonly Operand[],
  dot: Dot,
  env: ExecEnv,
  frame: Frame,
  hasFinal: boolean,
  final: unknown,
): unknown {
  const f = TEMPLATE_FUNCTIONS[name];
  if (!f) throw new TemplateExecError(`function "${name}" not defined`);
  // Go evaluates and/or lazily (short-circuit) since 1.18
  if (name === 'and' || name === 'or') {
    let last: unknown;
    const total = argOps.length + (hasFinal ? 1 : 0);
    for (let i = 0; i < total; i++) {
      last = i < argOps.length ? evalOperand(argOps[i]!, dot, env, frame) : final;
      if (name === 'and' ? !isTrue(last) : isTrue(last)) return last;
    }
    return last;
  }
  const args = argOps.map((a) => evalOperand(a, dot, env, frame));
  if (hasFinal) args.push(final);
  try {
    return f.call(env, args);
  } catch (err) {
    if (err instanceof TemplateExecError) throw err;
    throw new TemplateExecError(`error calling ${name}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// `${ }` expressions
// ---------------------------------------------------------------------------------------------

/** Upstream stringifies expr results with %v, and nil as "". */
export function stringifyExprResult(v: unknown): string {
  return v === null || v === undefined ? '' : formatValue(v);
}

/** A name's value; `asCallee` for the callee of a call, the only place a function name means the function. */
function exprIdentifier(name: string, env: ExecEnv, asCallee = false): unknown {
  const pc = env.pc;
  switch (name) {
    case 'steps':
      return pc.stepOutputs;
    case 'trigger':
    case 'body':
      return pc.triggerData;
    case 'meta':
      return pc.metadata;
    case 'current':
      return pc.current;
  }
  if (Object.hasOwn(pc.current, name)) return pc.current[name];
  // undefined variables are allowed and are nil; so is a function named but not called (`${ toString }`),
  // which must never become a value that renders or is passed on
  return asCallee ? (EXPR_BUILTINS[name] ?? TEMPLATE_FUNCTIONS[name] ?? null) : null;
}

function isFunction(v: unknown): v is TemplateFunction {
  return typeof v === 'object' && v !== null && typeof (v as TemplateFunction).call === 'function' && 'min' in v;
}

export function evalExpr(node: ExprNode, env: ExecEnv): unknown {
  switch (node.t) {
    case 'lit':
      return node.value;
    case 'ident':
      return exprIdentifier(node.name, env);
    case 'array':
      return node.items.map((i) => evalExpr(i, env));
    case 'member': {
      const obj = evalExpr(node.object, env);
      if (obj === null || obj === undefined) return null;
      const key = evalExpr(node.property, env);
      if (Array.isArray(obj) || typeof obj === 'string') {
        let i = Math.trunc(toFloat(key));
        if (i < 0) i += obj.length;
        return i >= 0 && i < obj.length ? obj[i] : null;
      }
      if (isPlainMap(obj)) {
        const k = String(key);
        return Object.hasOwn(obj, k) ? obj[k] : null;
      }
      return null;
    }
    case 'call': {
      const callee =
        node.callee.t === 'ident' ? exprIdentifier(node.callee.name, env, true) : evalExpr(node.callee, env);
      const name = node.callee.t === 'ident' ? node.callee.name : 'expression';
      if (!isFunction(callee)) throw new TemplateExecError(`${name} is not a function`);
      const args = node.args.map((a) => evalExpr(a, env));
      try {
        return callee.call(env, args);
      } catch (err) {
        throw new TemplateExecError(`error calling ${name}: ${(err as Error).message}`);
      }
    }
    case 'unary': {
      const v = evalExpr(node.arg, env);
      if (node.op === '!') return !isTrue(v);
      if (node.op === '-') return -toFloat(v);
      return toFloat(v);
    }
    case 'cond':
      return isTrue(evalExpr(node.test, env)) ? evalExpr(node.then, env) : evalExpr(node.else, env);
    case 'binary':
      return evalBinary(node, env);
  }
}

function evalBinary(node: Extract<ExprNode, { t: 'binary' }>, env: ExecEnv): unknown {
  const op = node.op;
  if (op === '&&' || op === 'and') return isTrue(evalExpr(node.left, env)) && isTrue(evalExpr(node.right, env));
  if (op === '||' || op === 'or') return isTrue(evalExpr(node.left, env)) || isTrue(evalExpr(node.right, env));
  if (op === '??') {
    const l = evalExpr(node.left, env);
    return l === null || l === undefined ? evalExpr(node.right, env) : l;
  }
  const l = evalExpr(node.left, env);
  const r = evalExpr(node.right, env);
  switch (op) {
    case '==':
      return valuesEqual(l, r);
    case '!=':
      return !valuesEqual(l, r);
    case '<':
    case '<=':
    case '>':
    case '>=':
      if (l === null || l === undefined || r === null || r === undefined) return false;
      return compareOrdered(l, r, op);
    case '+':
      if (typeof l === 'string' || typeof r === 'string') return stringifyExprResult(l) + stringifyExprResult(r);
      if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
      return toFloat(l) + toFloat(r);
    case '-':
      return toFloat(l) - toFloat(r);
    case '*':
      return toFloat(l) * toFloat(r);
    case '/':
      return toFloat(l) / toFloat(r);
    case '%':
      return toFloat(l) % toFloat(r);
    case '**':
    case '^':
      return toFloat(l) ** toFloat(r);
    case '..': {
      const out: number[] = [];
      for (let i = Math.trunc(toFloat(l)); i <= Math.trunc(toFloat(r)); i++) out.push(i);
      return out;
    }
    case 'in':
    case 'not in': {
      let found: boolean;
      if (Array.isArray(r)) found = r.some((x) => valuesEqual(x, l));
      else if (isPlainMap(r)) found = Object.hasOwn(r, String(l));
      else found = false;
      return op === 'in' ? found : !found;
    }
    case 'contains':
      return stringifyExprResult(l).includes(stringifyExprResult(r));
    case 'startsWith':
      return stringifyExprResult(l).startsWith(stringifyExprResult(r));
    case 'endsWith':
      return stringifyExprResult(l).endsWith(stringifyExprResult(r));
    case 'matches':
      return matchesPattern(stringifyExprResult(r), stringifyExprResult(l));
    default:
      throw new TemplateExecError(`unknown operator ${op}`);
  }
}

/**
 * expr-lang's `matches` runs Go's regexp, which is RE2: the same linear-time semantics here, so a
 * tenant's pattern cannot stall an engine that other tenants share (EngineManager).
 */
function matchesPattern(pattern: string, value: string): boolean {
  try {
    return compileLinearRegExp(pattern).test(value);
  } catch (e) {
    throw new TemplateExecError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}
