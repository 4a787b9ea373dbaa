// Parser for the Go text/template subset pipeline configs use, plus `${ expr }` blocks in text.
// Hyphenated names are accepted in field chains (`.steps.parse-request.id`), which is what the
// upstream engine achieves by rewriting such chains into `index` calls before parsing.
import type { Command, Operand, Pipe, TemplateNode } from './ast.ts';
import { parseExpr } from './expr-parser.ts';

export class TemplateSyntaxError extends Error {
  /** Character offset in the template source. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'TemplateSyntaxError';
    this.offset = offset;
  }
}

export interface ParsedTemplate {
  nodes: TemplateNode[];
  /** Identifiers used in function position, for "function not defined" diagnostics. */
  functions: Array<{ name: string; offset: number }>;
}

type Tok =
  | { t: 'field'; chain: string[]; pos: number }
  | { t: 'var'; name: string; chain: string[]; pos: number }
  | { t: 'ident'; name: string; chain: string[]; pos: number }
  | { t: 'lit'; value: unknown; pos: number }
  | { t: 'punct'; v: '|' | '(' | ')' | ',' | ':=' | '='; pos: number }
  | { t: 'chain'; chain: string[]; pos: number }; // .a.b directly after ')'

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);

/** True when a string needs the template machinery at all. */
export function hasTemplateSyntax(s: string): boolean {
  return s.includes('{{') || s.includes('${');
}

export function parseTemplate(src: string): ParsedTemplate {
  const functions: ParsedTemplate['functions'] = [];
  const actions = splitActions(src);
  let index = 0;

  function parseList(terminators: Set<string>): { nodes: TemplateNode[]; end: ActionChunk | undefined } {
    const nodes: TemplateNode[] = [];
    while (index < actions.length) {
      const chunk = actions[index]!;
      if (chunk.kind === 'text') {
        if (chunk.text !== '') nodes.push({ kind: 'text', text: chunk.text });
        index++;
        continue;
      }
      if (chunk.kind === 'expr') {
        let expr;
        try {
          expr = parseExpr(chunk.source);
        } catch (err) {
          const e = err as Error & { offset?: number };
          throw new TemplateSyntaxError(
            `in \${ ${chunk.source.trim()} }: ${e.message}`,
            chunk.pos + 2 + (e.offset ?? 0),
          );
        }
        nodes.push({ kind: 'expr', expr, source: chunk.source, pos: chunk.pos });
        index++;
        continue;
      }
      const toks = chunk.toks;
      const first = toks[0];
      const keyword =
        first && first.t === 'ident' && KEYWORDS.has(first.name) && first.chain.length === 0 ? first.name : undefined;
      if (keyword && terminators.has(keyword)) return { nodes, end: chunk };
      index++;
      if (!keyword) {
        nodes.push({ kind: 'action', pipe: parsePipe(toks, 0, chunk.pos, true), pos: chunk.pos });
        continue;
      }
      switch (keyword) {
        case 'if':
        case 'with':
        case 'range':
          nodes.push(parseControl(keyword, chunk));
          break;
        case 'break':
        case 'continue':
          if (toks.length > 1) throw new TemplateSyntaxError(`unexpected token after ${keyword}`, toks[1]!.pos);
          nodes.push({ kind: keyword, pos: chunk.pos });
          break;
        case 'end':
        case 'else':
          throw new TemplateSyntaxError(`unexpected {{${keyword}}}`, chunk.pos);
        default:
          throw new TemplateSyntaxError(`{{${keyword}}} is not supported in workflow templates`, chunk.pos);
      }
    }
    return { nodes, end: undefined };
  }

  function parseControl(keyword: 'if' | 'with' | 'range', chunk: ActionChunk): TemplateNode {
    const toks = chunk.toks;
    if (toks.length < 2) throw new TemplateSyntaxError(`missing value for ${keyword}`, chunk.pos);
    const pipe = parsePipe(toks, 1, chunk.pos, keyword === 'range' ? 'range' : true);
    const body = parseList(new Set(['else', 'end']));
    if (!body.end) throw new TemplateSyntaxError(`unexpected EOF: {{${keyword}}} has no matching {{end}}`, chunk.pos);
    index++;
    let elseList: TemplateNode[] | undefined;
    const endToks = body.end.toks;
    if ((endToks[0] as { name: string }).name === 'else') {
      if (endToks.length > 1) {
        // {{else if ...}} / {{else with ...}}: a nested control node that consumes the shared {{end}}
        const nested = endToks[1]!;
        if (nested.t !== 'ident' || (nested.name !== 'if' && nested.name !== 'with')) {
          throw new TemplateSyntaxError('unexpected token after else', nested.pos);
        }
        const synthetic: ActionChunk = { kind: 'action', toks: endToks.slice(1), pos: body.end.pos };
        elseList = [parseControl(nested.name as 'if' | 'with', synthetic)];
        return { kind: keyword, pipe, list: body.nodes, elseList, pos: chunk.pos } as TemplateNode;
      }
      const rest = parseList(new Set(['end']));
      if (!rest.end) throw new TemplateSyntaxError(`unexpected EOF: {{else}} has no matching {{end}}`, body.end.pos);
      index++;
      elseList = rest.nodes;
    } else if (endToks.length > 1) {
      throw new TemplateSyntaxError('unexpected token after end', endToks[1]!.pos);
    }
    return { kind: keyword, pipe, list: body.nodes, elseList, pos: chunk.pos } as TemplateNode;
  }

  function parsePipe(toks: Tok[], start: number, pos: number, mode: true | 'range'): Pipe {
    let i = start;
    const decl: string[] = [];
    let isAssign = false;
    // declarations: $x := / $x = / $i, $v :=
    const declEnd = findDeclEnd(toks, start, mode === 'range');
    if (declEnd > 0) {
      for (let j = start; j < declEnd; j++) {
        const tk = toks[j]!;
        if (tk.t === 'var') decl.push(tk.name);
      }
      isAssign = (toks[declEnd] as { v: string }).v === '=';
      i = declEnd + 1;
    }
    const { cmds, next } = parseCommands(toks, i, pos);
    if (next < toks.length) throw new TemplateSyntaxError(`unexpected ${describe(toks[next]!)}`, toks[next]!.pos);
    if (cmds.length === 0) throw new TemplateSyntaxError('missing value in action', pos);
    return { decl, isAssign, cmds };
  }

  function parseCommands(toks: Tok[], start: number, pos: number): { cmds: Command[]; next: number } {
    const cmds: Command[] = [];
    let i = start;
    let args: Operand[] = [];
    let cmdPos = toks[i]?.pos ?? pos;
    const flush = (at: number) => {
      if (args.length === 0) throw new TemplateSyntaxError('missing command in pipeline', at);
      cmds.push({ args, pos: cmdPos });
      args = [];
    };
    while (i < toks.length) {
      const tk = toks[i]!;
      if (tk.t === 'punct') {
        if (tk.v === '|') {
          flush(tk.pos);
          i++;
          cmdPos = toks[i]?.pos ?? tk.pos;
          if (i >= toks.length) throw new TemplateSyntaxError('missing command after |', tk.pos);
          continue;
        }
        if (tk.v === '(') {
          const inner = parseCommands(toks, i + 1, tk.pos);
          const close = toks[inner.next];
          if (close?.t !== 'punct' || close.v !== ')') throw new TemplateSyntaxError('unclosed left paren', tk.pos);
          i = inner.next + 1;
          let chain: string[] = [];
          const after = toks[i];
          if (after && after.t === 'chain') {
            chain = after.chain;
            i++;
          }
          if (inner.cmds.length === 0) throw new TemplateSyntaxError('missing value in parenthesized pipeline', tk.pos);
          args.push({ k: 'pipe', pipe: { decl: [], isAssign: false, cmds: inner.cmds }, chain });
          continue;
        }
        if (tk.v === ')') break;
        throw new TemplateSyntaxError(`unexpected "${tk.v}"`, tk.pos);
      }
      if (tk.t === 'chain') throw new TemplateSyntaxError('unexpected field access', tk.pos);
      args.push(toOperand(tk));
      i++;
    }
    if (args.length > 0) cmds.push({ args, pos: cmdPos });
    return { cmds, next: i };
  }

  function toOperand(tk: Exclude<Tok, { t: 'punct' } | { t: 'chain' }>): Operand {
    switch (tk.t) {
      case 'field':
        return { k: 'field', chain: tk.chain };
      case 'var':
        return { k: 'var', name: tk.name, chain: tk.chain };
      case 'lit':
        return { k: 'lit', value: tk.value };
      case 'ident':
        if (tk.name === 'nil') return { k: 'lit', value: null };
        if (tk.name === 'true' || tk.name === 'false') return { k: 'lit', value: tk.name === 'true' };
        if (KEYWORDS.has(tk.name)) throw new TemplateSyntaxError(`unexpected keyword "${tk.name}"`, tk.pos);
        functions.push({ name: tk.name, offset: tk.pos });
        return { k: 'func', name: tk.name, chain: tk.chain };
    }
  }

  const { nodes, end } = parseList(new Set());
  if (end) throw new TemplateSyntaxError('unexpected {{end}}', end.pos);
  return { nodes, functions };
}

function findDeclEnd(toks: Tok[], start: number, allowTwo: boolean): number {
  const a = toks[start];
  if (a?.t !== 'var' || a.chain.length > 0) return -1;
  const b = toks[start + 1];
  if (b && b.t === 'punct' && (b.v === ':=' || b.v === '=')) return start + 1;
  if (allowTwo && b && b.t === 'punct' && b.v === ',') {
    const c = toks[start + 2];
    const d = toks[start + 3];
    if (c && c.t === 'var' && d && d.t === 'punct' && (d.v === ':=' || d.v === '=')) return start + 3;
    throw new TemplateSyntaxError('bad range declaration', b.pos);
  }
  return -1;
}

function describe(tk: Tok): string {
  switch (tk.t) {
    case 'punct':
      return `"${tk.v}"`;
    case 'lit':
      return `literal ${JSON.stringify(tk.value)}`;
    case 'ident':
      return `"${tk.name}"`;
    default:
      return 'token';
  }
}

// ---------------------------------------------------------------------------------------------
// Splitting the source into text, {{ actions }} and ${ expr } blocks
// ---------------------------------------------------------------------------------------------

type ActionChunk = { kind: 'action'; toks: Tok[]; pos: number };
type Chunk = { kind: 'text'; text: string } | ActionChunk | { kind: 'expr'; source: string; pos: number };

function splitActions(src: string): Chunk[] {
  const chunks: Chunk[] = [];
  let text = '';
  let i = 0;
  let trimNextText = false;
  const pushText = () => {
    if (text !== '') chunks.push({ kind: 'text', text });
    text = '';
  };
  while (i < src.length) {
    const open = nextOpen(src, i);
    if (open === -1) {
      text += src.slice(i);
      break;
    }
    text += src.slice(i, open);
    if (trimNextText) {
      text = text.replace(/^\s+/, '');
      trimNextText = false;
    }
    if (src[open] === '$') {
      // ${ expr }: up to the first `}` (the upstream engine's rule, so no `}` inside an expression)
      const close = src.indexOf('}', open + 2);
      if (close === -1) {
        text += src.slice(open);
        break;
      }
      pushText();
      chunks.push({ kind: 'expr', source: src.slice(open + 2, close), pos: open });
      i = close + 1;
      continue;
    }
    // {{ action }}
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    pushText();
    const { toks, end, trimAfter } = lexAction(src, start);
    i = end;
    trimNextText = trimAfter;
    if (toks.length === 0) continue; // comment or empty action
    chunks.push({ kind: 'action', toks, pos: open });
  }
  if (trimNextText) text = text.replace(/^\s+/, '');
  pushText();
  return chunks;
}

/** Next `{{` or `${` (a `$` directly before `{{` is literal text, e.g. "${{ .total }}" prints a dollar). */
function nextOpen(src: string, from: number): number {
  for (let i = from; i < src.length - 1; i++) {
    const c = src[i];
    if (c === '{' && src[i + 1] === '{') return i;
    if (c === '$' && src[i + 1] === '{' && src[i + 2] !== '{') return i;
  }
  return -1;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_]/;

function lexAction(src: string, start: number): { toks: Tok[]; end: number; trimAfter: boolean } {
  const toks: Tok[] = [];
  let i = start;
  // comment: {{/* ... */}}
  const afterWs = src.slice(i).match(/^\s*/)![0].length;
  if (src.startsWith('/*', i + afterWs)) {
    const close = src.indexOf('*/', i + afterWs + 2);
    if (close === -1) throw new TemplateSyntaxError('unclosed comment', i);
    let j = close + 2;
    let trimAfter = false;
    const m = src.slice(j).match(/^(\s*-)?\s*\}\}/);
    if (!m) throw new TemplateSyntaxError('comment ends before closing delimiter', close);
    if (m[1]) trimAfter = true;
    j += m[0].length;
    return { toks, end: j, trimAfter };
  }
  const readChain = (): string[] => {
    const chain: string[] = [];
    while (src[i] === '.' && IDENT_START.test(src[i + 1] ?? '')) {
      i++;
      chain.push(readIdent());
    }
    return chain;
  };
  const readIdent = (): string => {
    const begin = i;
    while (i < src.length) {
      const c = src[i]!;
      if (IDENT_CHAR.test(c)) {
        i++;
        continue;
      }
      // hyphenated names: a '-' joined to identifier characters on both sides
      if (c === '-' && i > begin && IDENT_CHAR.test(src[i + 1] ?? '')) {
        i++;
        continue;
      }
      break;
    }
    return src.slice(begin, i);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '}' && src[i + 1] === '}') return { toks, end: i + 2, trimAfter: false };
    if (c === '-' && src[i + 1] === '}' && src[i + 2] === '}' && /\s/.test(src[i - 1] ?? '')) {
      return { toks, end: i + 3, trimAfter: true };
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const pos = i;
    if (c === '|' || c === '(' || c === ')' || c === ',' || c === '=') {
      toks.push({ t: 'punct', v: c, pos });
      i++;
      if (c === ')' && src[i] === '.' && IDENT_START.test(src[i + 1] ?? ''))
        toks.push({ t: 'chain', chain: readChain(), pos: i });
      continue;
    }
    if (c === ':' && src[i + 1] === '=') {
      toks.push({ t: 'punct', v: ':=', pos });
      i += 2;
      continue;
    }
    if (c === '"') {
      const end = scanQuoted(src, i, '"');
      const raw = src.slice(i, end);
      let value: string;
      try {
        value = JSON.parse(
          raw
            .replace(/\\'/g, "'")
            .replace(/\\([abfv])/g, (_m, x: string) => `\\u000${{ a: '7', b: '8', f: 'c', v: 'b' }[x]}`),
        );
      } catch {
        throw new TemplateSyntaxError(`bad string literal ${raw}`, pos);
      }
      toks.push({ t: 'lit', value, pos });
      i = end;
      continue;
    }
    if (c === '`') {
      const close = src.indexOf('`', i + 1);
      if (close === -1) throw new TemplateSyntaxError('unterminated raw quoted string', pos);
      toks.push({ t: 'lit', value: src.slice(i + 1, close), pos });
      i = close + 1;
      continue;
    }
    if (c === "'") {
      const end = scanQuoted(src, i, "'");
      const inner = src.slice(i + 1, end - 1);
      const ch = inner.startsWith('\\') ? (JSON.parse(`"${inner}"`) as string) : inner;
      if ([...ch].length !== 1) throw new TemplateSyntaxError(`bad character constant ${src.slice(i, end)}`, pos);
      toks.push({ t: 'lit', value: ch.codePointAt(0), pos });
      i = end;
      continue;
    }
    if (/[0-9]/.test(c) || ((c === '-' || c === '+') && /[0-9.]/.test(src[i + 1] ?? ''))) {
      const m = src
        .slice(i)
        .match(/^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/);
      const raw = m ? m[0] : '';
      if (raw === '' || raw === '-' || raw === '+' || IDENT_START.test(src[i + raw.length] ?? '')) {
        throw new TemplateSyntaxError(`bad number syntax: ${JSON.stringify(src.slice(i, i + raw.length + 1))}`, pos);
      }
      const cleaned = raw.replace(/_/g, '');
      const neg = cleaned.startsWith('-');
      const body = cleaned.replace(/^[+-]/, '');
      const n = /^0[xXbBoO]/.test(body) ? Number(body) : Number(body);
      if (Number.isNaN(n)) throw new TemplateSyntaxError(`bad number syntax: ${JSON.stringify(raw)}`, pos);
      toks.push({ t: 'lit', value: neg ? -n : n, pos });
      i += raw.length;
      continue;
    }
    if (c === '-' || c === '+') {
      throw new TemplateSyntaxError(`bad number syntax: ${JSON.stringify(src.slice(i, i + 2))}`, pos);
    }
    if (c === '.') {
      if (IDENT_START.test(src[i + 1] ?? '')) {
        toks.push({ t: 'field', chain: readChain(), pos });
      } else {
        toks.push({ t: 'field', chain: [], pos });
        i++;
      }
      continue;
    }
    if (c === '$') {
      i++;
      const name = IDENT_START.test(src[i] ?? '') ? readIdent() : '';
      toks.push({ t: 'var', name: '$' + name, chain: readChain(), pos });
      continue;
    }
    if (IDENT_START.test(c)) {
      const name = readIdent();
      toks.push({ t: 'ident', name, chain: readChain(), pos });
      continue;
    }
    throw new TemplateSyntaxError(`unexpected "${c}" in action`, pos);
  }
  throw new TemplateSyntaxError('unclosed action: missing "}}"', start - 2);
}

function scanQuoted(src: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote) return i + 1;
    if (c === '\n') break;
    i++;
  }
  throw new TemplateSyntaxError(`unterminated quoted string`, start);
}
