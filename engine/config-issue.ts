// Config problems as values with a location, made where they are found and printed in one place.
import type { ConfigPath } from './contract.ts';

export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Human context, e.g. "module orders-db" or "pipeline create-order step parse". */
  where: string;
  /** Path in the merged config, upstream style: `modules[3].config.port`. */
  jsonPath: string;
  message: string;
  hint?: string;
  /**
   * Set when upstream's engine starts a config with this mistake: what happens when the path runs (the
   * step fails, or the value is ignored). `wfctl validate` reports it as an error; `wfctl run` starts
   * the app and warns, unless --strict.
   */
  runTime?: string;
}

export interface ValidationResult {
  ok: boolean;
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
}

/**
 * "file:line:col: message (where)\n  hint: ..." — the compiler-style form wfctl prints; with a
 * severity, "file:line:col: error: message (where)".
 */
export function formatIssue(issue: ConfigIssue, severity?: 'error' | 'warning'): string {
  let s = `${issue.file}:${issue.line}:${issue.column}: ${severity ? `${severity}: ` : ''}${issue.message}`;
  if (issue.where) s += ` (${issue.where})`;
  if (issue.hint) s += `\n  hint: ${issue.hint}`;
  return s;
}

const SIMPLE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatJsonPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (SIMPLE_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A config that cannot be loaded or built: carries every issue found. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], summary?: string) {
    super(
      summary ??
        (issues.length === 1
          ? formatIssue(issues[0]!)
          : `${issues.length} config errors:\n${issues.map((i) => formatIssue(i)).join('\n')}`),
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
