// What the jq runner and its worker thread say to each other, and how a user's jq program is
// wrapped for them (pure functions, shared by both sides).

/** One jq invocation (jq-worker.mjs): answered by message (`id`) or into `shared` (compile checks). */
export interface JqWorkerRequest {
  input: string | null;
  program: string;
  flags: string[];
  id?: number;
  shared?: SharedArrayBuffer;
}

/** A run's answer, or `{ready: true}` once jq has loaded. */
export interface JqWorkerReply {
  ready?: true;
  id: number;
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** One input's outcome in a batch: every output of the program, or its error. */
export type JqOutcome = { ok: unknown[] } | { error: unknown };

// The user's program goes between newlines so that a trailing `# comment` cannot swallow the wrapper.

/** Compiles the program without ever running it: jq reports syntax errors and unknown names. */
export function checkProgram(program: string): string {
  return `empty | (\n${program}\n)`;
}

/**
 * Runs the program once per element of the input array, each run's outputs collected, each run's
 * error caught: one line per input, so the outcomes map back to the inputs in order. Every input
 * is an element of one array (not a stream of inputs), so `input`/`inputs` can never read another
 * request's data.
 */
export function batchProgram(program: string): string {
  return `.[] | try {ok: [(\n${program}\n)]} catch {error: .}`;
}

/** jq's compile error as a user reads it: the program's own line numbers, no "jq: error:" noise. */
export function describeCompileError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .filter((l) => !/^jq: \d+ compile errors?$/.test(l.trim()))
    .map((l) => l.replace(/^jq: error: /, ''))
    .map((l) => l.replace(/line (\d+)/, (_, n: string) => `line ${Math.max(1, Number(n) - 1)}`));
  return lines.join('\n').trim() || 'the jq program does not compile';
}

/** Reads a batch's output back into one outcome per input. */
export function parseBatch(lines: string[], count: number, stderr: string): JqOutcome[] {
  const out: JqOutcome[] = [];
  for (let i = 0; i < count; i++) {
    const line = lines[i];
    if (line === undefined) {
      // halt / halt_error end the whole run: the inputs after it have no answer
      out.push({ error: stderr.trim() || 'the jq program halted' });
      continue;
    }
    out.push(JSON.parse(line) as JqOutcome);
  }
  return out;
}
