// Parser for `${ ... }` expressions: the expr-lang subset the upstream engine evaluates in step
// configs (member access, calls, arithmetic, comparison, logic, `in`, ternary, `??`, `|` pipes,
// array literals). Map literals cannot occur because a block ends at the first `}`.
import type { ExprNode } from './ast.ts';

export class ExprSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'ExprSyntaxError';
    this.offset = offset;
  }
}

type Tok = { t: 'num' | 'str' | 'ident' | 'op' | 'eof'; v: string; value?: unknown; pos: number };

const OPERATORS = [
  '??',
  '?.',
  '...',
  '..',
  '**',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '<',
  '>',
  '!',
  '?',
  ':',
  '(',
  ')',
  '[',
  ']',
  '.',
  ',',
  '|',
];
const WORD_OPS = new Set(['and', 'or', 'not', 'in', 'matches', 'contains', 'startsWith', 'endsWith']);

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const pos = i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = src.slice(i).match(/^(0[xX][0-9a-fA-F_]+|\d[\d_]*(\.\d[\d_]*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)/)!;
      toks.push({ t: 'num', v: m[0], value: Number(m[0].replace(/_/g, '')), pos });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let value = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && c !== '`') {
          const n = src[j + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '0': '\0' };
          if (n === 'u') {
            value += String.fromCharCode(parseInt(src.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          value += n !== undefined && n in map ? map[n] : (n ?? '');
          j += 2;
          continue;
        }
        value += src[j];
        j++;
      }
      if (j >= src.length) throw new ExprSyntaxError('unterminated string literal', pos);
      toks.push({ t: 'str', v: src.slice(i, j + 1), value, pos });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = src.slice(i).match(/^[A-Za-z_$][A-Za-z0-9_$]*/)!;
      toks.push({ t: WORD_OPS.has(m[0]) ? 'op' : 'ident', v: m[0], pos });
      i += m[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprSyntaxError(`unexpected character "${c}"`, pos);
    toks.push({ t: 'op', v: op, pos });
    i += op.length;
  }
  toks.push({ t: 'eof', v: '', pos: src.length });
  return toks;
}

const BINARY_PRECEDENCE: Record<string, number> = {
  '??': 1,
  '||': 2,
  or: 2,
  '&&': 3,
  and: 3,
  '==': 4,
  '!=': 4,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  in: 4,
  matches: 4,
  contains: 4,
  startsWith: 4,
  endsWith: 4,
  '..': 5,
  '+': 6,
  '-': 6,
  '*': 7,
  '/': 7,
  '%': 7,
  '**': 8,
  '^': 8,
};

export function parseExpr(src: string): ExprNode {
  const toks = lex(src);
  let p = 0;
  const peek = () => toks[p]!;
  const next = () => toks[p++]!;
  const expectOp = (v: string) => {
    const tk = next();
    if (tk.t !== 'op' || tk.v !== v)
      throw new ExprSyntaxError(
        `expected "${v}" but found ${tk.t === 'eof' ? 'end of expression' : `"${tk.v}"`}`,
        tk.pos,
      );
  };

  function parseTernary(): ExprNode {
    const test = parsePipe();
    const tk = peek();
    if (tk.t === 'op' && tk.v === '?') {
      next();
      const then = parseTernary();
      expectOp(':');
      const otherwise = parseTernary();
      return { t: 'cond', test, then, else: otherwise };
    }
    return test;
  }

  // `x | f(a)` is `f(x, a)`
  function parsePipe(): ExprNode {
    let left = parseBinary(0);
    while (peek().t === 'op' && peek().v === '|') {
      next();
      const fn = next();
      if (fn.t !== 'ident') throw new ExprSyntaxError('expected a function name after "|"', fn.pos);
      const args: ExprNode[] = [left];
      if (peek().t === 'op' && peek().v === '(') {
        next();
        args.push(...parseArgs(')'));
      }
      left = { t: 'call', callee: { t: 'ident', name: fn.v }, args };
    }
    return left;
  }

  function parseBinary(minPrec: number): ExprNode {
    let left = parseUnary();
    for (;;) {
      const tk = peek();
      let op = tk.t === 'op' ? tk.v : '';
      // `not in`
      if (op === 'not' && toks[p + 1]?.v === 'in') op = 'not in';
      const prec = op === 'not in' ? BINARY_PRECEDENCE.in! : BINARY_PRECEDENCE[op];
      if (prec === undefined || prec < minPrec) break;
      next();
      if (op === 'not in') next();
      // right-associative power, left-associative rest
      const right = parseBinary(op === '**' || op === '^' ? prec : prec + 1);
      left = { t: 'binary', op, left, right };
    }
    return left;
  }

  function parseUnary(): ExprNode {
    const tk = peek();
    if (tk.t === 'op' && (tk.v === '!' || tk.v === 'not' || tk.v === '-' || tk.v === '+')) {
      next();
      return { t: 'unary', op: tk.v === 'not' ? '!' : tk.v, arg: parseUnary() };
    }
    return parsePostfix(parsePrimary());
  }

  function parseArgs(close: string): ExprNode[] {
    const args: ExprNode[] = [];
    if (peek().t === 'op' && peek().v === close) {
      next();
      return args;
    }
    for (;;) {
      args.push(parseTernary());
      const tk = next();
      if (tk.t === 'op' && tk.v === close) return args;
      if (tk.t !== 'op' || tk.v !== ',') throw new ExprSyntaxError(`expected "," or "${close}"`, tk.pos);
    }
  }

  function parsePostfix(node: ExprNode): ExprNode {
    for (;;) {
      const tk = peek();
      if (tk.t !== 'op') return node;
      if (tk.v === '.' || tk.v === '?.') {
        next();
        const name = next();
        if (name.t === 'op' && name.v === '[' && tk.v === '?.') {
          const property = parseTernary();
          expectOp(']');
          node = { t: 'member', object: node, property, optional: true };
          continue;
        }
        if (name.t !== 'ident' && !(name.t === 'op' && WORD_OPS.has(name.v)))
          throw new ExprSyntaxError('expected a field name after "."', name.pos);
        node = { t: 'member', object: node, property: { t: 'lit', value: name.v }, optional: tk.v === '?.' };
        continue;
      }
      if (tk.v === '[') {
        next();
        const property = parseTernary();
        expectOp(']');
        node = { t: 'member', object: node, property, optional: false };
        continue;
      }
      if (tk.v === '(') {
        next();
        node = { t: 'call', callee: node, args: parseArgs(')') };
        continue;
      }
      return node;
    }
  }

  function parsePrimary(): ExprNode {
    const tk = next();
    switch (tk.t) {
      case 'num':
      case 'str':
        return { t: 'lit', value: tk.value };
      case 'ident':
        if (tk.v === 'true' || tk.v === 'false') return { t: 'lit', value: tk.v === 'true' };
        if (tk.v === 'nil' || tk.v === 'null') return { t: 'lit', value: null };
        return { t: 'ident', name: tk.v };
      case 'op':
        if (tk.v === '(') {
          const inner = parseTernary();
          expectOp(')');
          return inner;
        }
        if (tk.v === '[') return { t: 'array', items: parseArgs(']') };
        if (WORD_OPS.has(tk.v) && tk.v !== 'not' && tk.v !== 'and' && tk.v !== 'or' && tk.v !== 'in')
          return { t: 'ident', name: tk.v };
        throw new ExprSyntaxError(`unexpected "${tk.v}"`, tk.pos);
      case 'eof':
        throw new ExprSyntaxError('unexpected end of expression', tk.pos);
    }
  }

  if (peek().t === 'eof') throw new ExprSyntaxError('empty expression', 0);
  const node = parseTernary();
  const rest = peek();
  if (rest.t !== 'eof') throw new ExprSyntaxError(`unexpected "${rest.v}"`, rest.pos);
  return node;
}
