// A scheduler module providing JobSchedulerCap: the piece upstream lacks, which `schedule`
// triggers and `workflows.scheduler` jobs bind to. scheduler.cron is this plugin's own type;
// modular-compat's scheduler.modular builds on the same class and adds a per-module cronExpression.
import {
  ConfigValueError,
  type AppContext,
  type ConfigMap,
  type JobScheduler,
  type Module,
  type ModuleSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';
import { CronScheduler, cronProblem, type CronJobOptions } from './cron-scheduler.ts';

export const cronSchedulerSchema: TypeSchema = {
  description:
    'Cron scheduler (node-cron, seconds optional, no overlapping runs) for schedule triggers and scheduler jobs',
  configFields: [
    { key: 'timezone', type: 'string', description: 'IANA time zone for all jobs (default: the process time zone)' },
    {
      key: 'cronExpression',
      type: 'string',
      description: 'Default expression for workflows.scheduler jobs that do not give one',
    },
  ],
};

export class CronSchedulerModule implements Module, JobScheduler {
  private scheduler?: CronScheduler;
  private readonly pending: Array<[string, () => Promise<void>, CronJobOptions | undefined]> = [];
  readonly timezone?: string;
  /** The expression `scheduleJob` uses (scheduler.modular's per-module schedule). */
  readonly cronExpression?: string;

  constructor(
    readonly name: string,
    readonly type: string,
    config: ConfigMap,
  ) {
    const c = new ConfigReader(config);
    this.timezone = c.string('timezone') || undefined;
    this.cronExpression = c.string('cronExpression') || undefined;
    const problem = this.cronExpression ? cronProblem(this.cronExpression) : undefined;
    if (problem) throw new ConfigValueError(problem, { path: ['cronExpression'] });
  }

  init(app: AppContext): void {
    this.scheduler = new CronScheduler(app.logger.child({ component: this.type, module: this.name }), this.timezone);
    for (const [cron, job, opts] of this.pending.splice(0)) this.scheduler.schedule(cron, job, opts);
  }

  schedule(cron: string, job: () => Promise<void>, opts?: CronJobOptions): () => void {
    if (!this.scheduler) {
      const problem = cronProblem(cron);
      if (problem) throw new Error(problem);
      const entry: [string, () => Promise<void>, CronJobOptions | undefined] = [cron, job, opts];
      this.pending.push(entry);
      return () => void this.pending.splice(this.pending.indexOf(entry), 1);
    }
    return this.scheduler.schedule(cron, job, opts);
  }

  /** Schedule at this module's own cronExpression (workflows.scheduler jobs without a cron). */
  scheduleJob(job: () => Promise<void>, name: string): () => void {
    if (!this.cronExpression)
      throw new Error(`scheduler "${this.name}" has no cronExpression; set it or give the job a cron`);
    return this.schedule(this.cronExpression, job, { name });
  }

  jobs() {
    return this.scheduler?.jobs() ?? [];
  }

  start(): void {
    this.scheduler?.start();
  }

  async stop(): Promise<void> {
    await this.scheduler?.stop();
  }
}

export function createCronSchedulerModule(spec: ModuleSpec): CronSchedulerModule {
  return new CronSchedulerModule(spec.name, spec.type, spec.config);
}
