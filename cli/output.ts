// One place for how wfctl prints: human tables by default, `-o json|yaml` for machines, and user
// errors as "wfctl: <what>" plus an optional hint, with a non-zero exit code and no stack trace.
import { createRequire } from 'node:module';

// yaml is loaded when something is printed as YAML, not by every command's start
const require = createRequire(import.meta.url);

export type OutputFormat = 'table' | 'json' | 'yaml';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'table' || value === 'wide') return 'table';
  if (value === 'json' || value === 'yaml') return value;
  throw new CliError(`unknown output format "${value}"`, { hint: 'use -o json, -o yaml, or leave -o out for a table' });
}

/** A user-facing failure: printed without a stack trace, exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  constructor(message: string, opts: { exitCode?: number; hint?: string } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = opts.exitCode ?? 1;
    this.hint = opts.hint;
  }
}

/** Print machine output for json/yaml; returns false when the caller should print its human form. */
export function printStructured(
  format: OutputFormat,
  value: unknown,
  out: NodeJS.WritableStream = process.stdout,
): boolean {
  if (format === 'json') {
    out.write(JSON.stringify(value, null, 2) + '\n');
    return true;
  }
  if (format === 'yaml') {
    out.write((require('yaml') as typeof import('yaml')).stringify(value));
    return true;
  }
  return false;
}

/** Left-aligned columns like kubectl: upper-case headers, two spaces between columns. */
export function formatTable(
  headers: string[],
  rows: Array<Array<string | number | boolean | null | undefined>>,
): string {
  const cells = [
    headers.map((h) => h.toUpperCase()),
    ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return (
    cells
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!)))
          .join('   ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function printTable(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): void {
  process.stdout.write(formatTable(headers, rows));
}
