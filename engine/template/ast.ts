// Syntax tree of a compiled template string: Go text/template actions plus `${ expr }` blocks.

export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe; pos: number }
  | { kind: 'if' | 'with'; pipe: Pipe; list: TemplateNode[]; elseList?: TemplateNode[]; pos: number }
  | { kind: 'range'; pipe: Pipe; list: TemplateNode[]; elseList?: TemplateNode[]; pos: number }
  | { kind: 'break' | 'continue'; pos: number }
  | { kind: 'expr'; expr: ExprNode; source: string; pos: number };

export interface Pipe {
  /** Declared or assigned variables (`$x := ...`, `$i, $v := range ...`). */
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

export interface Command {
  args: Operand[];
  pos: number;
}

export type Operand =
  | { k: 'field'; chain: string[] } // .a.b (empty chain = dot)
  | { k: 'var'; name: string; chain: string[] } // $x.a ($ is the root)
  | { k: 'func'; name: string; chain: string[] } // function identifier (optionally followed by .field)
  | { k: 'pipe'; pipe: Pipe; chain: string[] } // (pipeline).field
  | { k: 'lit'; value: unknown };

// ---------------------------------------------------------------------------------------------
// `${ }` expression language (a subset of expr-lang, as the upstream engine embeds it)
// ---------------------------------------------------------------------------------------------

export type ExprNode =
  | { t: 'lit'; value: unknown }
  | { t: 'ident'; name: string }
  | { t: 'member'; object: ExprNode; property: ExprNode; optional: boolean }
  | { t: 'call'; callee: ExprNode; args: ExprNode[] }
  | { t: 'unary'; op: string; arg: ExprNode }
  | { t: 'binary'; op: string; left: ExprNode; right: ExprNode }
  | { t: 'cond'; test: ExprNode; then: ExprNode; else: ExprNode }
  | { t: 'array'; items: ExprNode[] };
