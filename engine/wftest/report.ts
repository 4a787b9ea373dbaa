// wftest results as TAP version 13 (what `wfctl plugin test` prints) or one JSON document (`-o json`).
import type { TestResult } from './runner.ts';

export interface TestReport {
  ok: boolean;
  passed: number;
  failed: number;
  /** Files that could not be read or parsed, with why. */
  errors: Array<{ file: string; problems: string[] }>;
  tests: TestResult[];
}

export function summarize(tests: TestResult[], errors: TestReport['errors'] = []): TestReport {
  const failed = tests.filter((t) => !t.ok).length;
  return {
    ok: failed === 0 && errors.length === 0 && tests.length > 0,
    passed: tests.length - failed,
    failed,
    errors,
    tests,
  };
}

/** A YAML-safe single-quoted scalar for TAP's YAML diagnostics. */
function quote(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export function formatTap(report: TestReport): string {
  const lines = ['TAP version 13'];
  const total = report.tests.length + report.errors.length;
  lines.push(`1..${total}`);
  let n = 0;
  for (const e of report.errors) {
    lines.push(`not ok ${++n} - ${e.file}`, '  ---', '  message: the test file cannot be used', '  problems:');
    for (const p of e.problems) lines.push(`    - ${quote(p)}`);
    lines.push('  ...');
  }
  for (const t of report.tests) {
    const title = `${t.file}: ${t.name}${t.description ? ` - ${t.description}` : ''}`.replaceAll('#', '\\#');
    lines.push(`${t.ok ? 'ok' : 'not ok'} ${++n} - ${title}`);
    if (!t.ok) {
      lines.push('  ---', `  duration_ms: ${t.durationMs}`, '  failures:');
      for (const f of t.failures) lines.push(`    - ${quote(f)}`);
      lines.push('  ...');
    }
  }
  lines.push(`# tests ${total}`, `# pass ${report.passed}`, `# fail ${report.failed + report.errors.length}`);
  return `${lines.join('\n')}\n`;
}
