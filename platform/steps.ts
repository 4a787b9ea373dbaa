// The start sequence of `wfctl up` as a list of named steps, run in order with timings, so progress
// reads "step N of M" and a failure names the component that failed. Printing is the caller's.

export interface Step {
  /** What the user sees, e.g. "devcluster (embedded Kubernetes API)". */
  title: string;
  /** Who to blame when it fails, e.g. "devcluster": "<component> did not start: <why>". */
  component: string;
  /** Returns an optional detail for the progress line (a URL, "reused", ...). */
  run(): Promise<string | undefined>;
}

export type StepEvent =
  | { kind: 'start'; index: number; total: number; title: string; elapsedMs: number }
  | { kind: 'done'; index: number; total: number; title: string; ms: number; elapsedMs: number; detail?: string }
  | { kind: 'failed'; index: number; total: number; title: string; ms: number; elapsedMs: number; error: Error };

export class StepFailedError extends Error {
  constructor(
    readonly component: string,
    override readonly cause: Error,
  ) {
    super(`${component} did not start: ${cause.message}`);
    this.name = 'StepFailedError';
  }
}

/** Runs the steps one after the other; the first failure stops the run with a StepFailedError. */
export async function runSteps(
  steps: Step[],
  onEvent: (event: StepEvent) => void = () => undefined,
  startedAt = performance.now(),
): Promise<void> {
  const total = steps.length;
  for (const [i, step] of steps.entries()) {
    const index = i + 1;
    const t0 = performance.now();
    onEvent({ kind: 'start', index, total, title: step.title, elapsedMs: t0 - startedAt });
    try {
      const detail = await step.run();
      const now = performance.now();
      onEvent({ kind: 'done', index, total, title: step.title, ms: now - t0, elapsedMs: now - startedAt, detail });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const now = performance.now();
      onEvent({ kind: 'failed', index, total, title: step.title, ms: now - t0, elapsedMs: now - startedAt, error });
      throw new StepFailedError(step.component, error);
    }
  }
}
