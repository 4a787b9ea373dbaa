// A validation finding: what is wrong, exactly where, which rule, and how to fix it. The same value is
// printed by `wfctl registry validate`, relayed by the pre-receive hook as `remote:` lines, posted as a
// check-run annotation and kept in the sync status, so a message reads the same everywhere.

export type Severity = 'error' | 'warning';

export interface Problem {
  /** Path inside the registry repository, e.g. plugins/http/manifest.json. */
  file: string;
  line: number;
  column: number;
  /** RFC 6901 pointer of the offending value ('' for the whole document). */
  jsonPointer: string;
  /** Stable rule id, e.g. schema/required, name-matches-directory, sha256-format. */
  rule: string;
  message: string;
  hint: string;
  severity: Severity;
}

export function isError(p: Problem): boolean {
  return p.severity === 'error';
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some(isError);
}

/** `file:line:column: error rule: message` plus an indented hint, like a compiler. */
export function formatProblem(p: Problem): string {
  const where = p.jsonPointer ? ` (at ${p.jsonPointer})` : '';
  return `${p.file}:${p.line}:${p.column}: ${p.severity} ${p.rule}: ${p.message}${where}\n  hint: ${p.hint}`;
}

export function compareProblems(a: Problem, b: Problem): number {
  return a.file < b.file
    ? -1
    : a.file > b.file
      ? 1
      : a.line - b.line || a.column - b.column || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}

export function summarizeProblems(problems: readonly Problem[]): string {
  const errors = problems.filter(isError).length;
  const warnings = problems.length - errors;
  const files = new Set(problems.map((p) => p.file)).size;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(files, 'file')}`;
}
