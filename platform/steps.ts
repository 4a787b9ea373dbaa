// The start sequence of `wfctl up` as named steps with dependencies: each step starts as soon as the
// steps it needs are done, so independent parts (the cluster, the git server) start side by side.
// Progress reads "step N of M" in the order steps finish, and a failure names the component that
// failed. Printing is the caller's.

export interface Step {
  /** Other steps name this one in `after`. */
  id: string;
  /** What the user sees, e.g. "devcluster (embedded Kubernetes API)". */
  title: string;
  /** Who to blame when it fails, e.g. "devcluster": "<component> did not start: <why>". */
  component: string;
  /** Ids of the steps that must be done first. */
  after?: string[];
  /** Returns an optional detail for the progress line (a URL, "reused", ...). */
  run(): Promise<string | undefined>;
}

export type StepEvent =
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

/**
 * Runs every step once its `after` steps are done. The first failure starts no further step; the
 * steps already running are waited for (so the caller can stop what they started), then the run
 * rejects with a StepFailedError naming the failed step's component.
 */
export async function runSteps(
  steps: Step[],
  onEvent: (event: StepEvent) => void = () => undefined,
  startedAt = performance.now(),
): Promise<void> {
  const ids = new Set(steps.map((s) => s.id));
  for (const s of steps)
    for (const dep of s.after ?? []) if (!ids.has(dep)) throw new Error(`step ${s.id} waits for unknown step ${dep}`);
  const total = steps.length;
  const done = new Set<string>();
  const started = new Set<string>();
  const running = new Set<Promise<void>>();
  let finished = 0;
  let failure: StepFailedError | undefined;

  const launch = (step: Step) => {
    started.add(step.id);
    const t0 = performance.now();
    const p = step.run().then(
      (detail) => {
        const now = performance.now();
        finished++;
        done.add(step.id);
        onEvent({
          kind: 'done',
          index: finished,
          total,
          title: step.title,
          ms: now - t0,
          elapsedMs: now - startedAt,
          detail,
        });
      },
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        const now = performance.now();
        onEvent({
          kind: 'failed',
          index: finished + 1,
          total,
          title: step.title,
          ms: now - t0,
          elapsedMs: now - startedAt,
          error,
        });
        failure ??= new StepFailedError(step.component, error);
      },
    );
    const tracked = p.finally(() => running.delete(tracked));
    running.add(tracked);
  };

  for (;;) {
    if (!failure)
      for (const step of steps) if (!started.has(step.id) && (step.after ?? []).every((d) => done.has(d))) launch(step);
    if (running.size === 0) break;
    await Promise.race(running);
  }
  if (failure) throw failure;
  if (done.size < total)
    throw new Error(
      `steps never started (a cycle in their order): ${steps
        .filter((s) => !started.has(s.id))
        .map((s) => s.id)
        .join(', ')}`,
    );
}
