// Cron scheduling on node-cron (5 fields, or 6 with seconds). A job never overlaps itself: a tick
// that arrives while the previous run is still going is skipped and logged. Jobs added before start
// wait for it; stop waits (bounded) for running jobs to finish.
import cron, { type ScheduledTask } from 'node-cron';
import type { JobScheduler, Logger } from '../../engine/index.ts';

export interface CronJobOptions {
  name?: string;
  timezone?: string;
}

interface Entry {
  name: string;
  expression: string;
  job: () => Promise<void>;
  timezone?: string;
  task?: ScheduledTask;
  running?: Promise<void>;
  runs: number;
  skipped: number;
}

/** A clear message for a bad cron expression, or undefined when it is valid. */
export function cronProblem(expression: string): string | undefined {
  const detail = cron.validateDetailed(expression);
  if (detail.valid) return undefined;
  const fields = (detail as { errors?: Array<{ field?: string; message?: string }> }).errors;
  const why = fields?.map((e) => [e.field, e.message].filter(Boolean).join(': ')).join('; ');
  return (
    `invalid cron expression "${expression}"${why ? ` (${why})` : ''}; use 5 fields (min hour day month ` +
    `weekday) or 6 with seconds first`
  );
}

export class CronScheduler implements JobScheduler {
  private readonly entries = new Set<Entry>();
  private started = false;

  constructor(
    private readonly logger: Logger,
    private readonly defaultTimezone?: string,
  ) {}

  schedule(expression: string, job: () => Promise<void>, opts: CronJobOptions = {}): () => void {
    const problem = cronProblem(expression);
    if (problem) throw new Error(problem);
    const entry: Entry = {
      name: opts.name ?? `job-${this.entries.size + 1}`,
      expression,
      job,
      timezone: opts.timezone ?? this.defaultTimezone,
      runs: 0,
      skipped: 0,
    };
    this.entries.add(entry);
    if (this.started) this.activate(entry);
    return () => {
      entry.task?.destroy();
      this.entries.delete(entry);
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const entry of this.entries) this.activate(entry);
  }

  /** Stop ticking, then wait up to `graceMs` for runs in progress. */
  async stop(graceMs = 5000): Promise<void> {
    this.started = false;
    const running: Array<Promise<void>> = [];
    for (const entry of this.entries) {
      entry.task?.destroy();
      entry.task = undefined;
      if (entry.running) running.push(entry.running);
    }
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(running), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  jobs(): Array<{ name: string; expression: string; runs: number; skipped: number; running: boolean }> {
    return [...this.entries].map((e) => ({
      name: e.name,
      expression: e.expression,
      runs: e.runs,
      skipped: e.skipped,
      running: Boolean(e.running),
    }));
  }

  private activate(entry: Entry): void {
    entry.task = cron.createTask(entry.expression, () => this.tick(entry), {
      name: entry.name,
      timezone: entry.timezone,
    });
    entry.task.start();
  }

  private tick(entry: Entry): void {
    if (entry.running) {
      entry.skipped++;
      this.logger.warn({ job: entry.name }, 'previous run still in progress; this tick is skipped');
      return;
    }
    entry.runs++;
    entry.running = entry
      .job()
      .catch((err: Error) => this.logger.error({ job: entry.name, err: err.message }, 'scheduled job failed'))
      .finally(() => {
        entry.running = undefined;
      });
  }
}
