// Trigger `schedule`: `triggers.schedule.jobs[{cron, workflow, action, params}]` fire
// TriggerWorkflow with params plus `trigger_time`. It binds to a JobScheduler service
// (cronScheduler / scheduler by name, else the first one); without any it runs its own, so an
// inline `trigger: {type: schedule, config: {cron}}` pipeline fires on its own (upstream's does not).
import {
  ConfigValueError,
  JobSchedulerCap,
  type AppContext,
  type ConfigMap,
  type JobScheduler,
  type PipelineTriggerWrapper,
  type Trigger,
} from '../../engine/index.ts';
import { ConfigReader, isPlainObject } from '../support/index.ts';
import { CronScheduler, cronProblem } from './cron-scheduler.ts';

interface ScheduleJob {
  cron: string;
  workflow: string;
  action: string;
  params: ConfigMap;
  timezone?: string;
}

const PREFERRED = ['cronScheduler', 'scheduler'];

export class ScheduleTrigger implements Trigger {
  readonly type = 'schedule';
  private readonly jobs: ScheduleJob[] = [];
  private own?: CronScheduler;
  private cancels: Array<() => void> = [];

  configure(app: AppContext, config: ConfigMap): void {
    const parsed = parseJobs(config);
    const scheduler = this.scheduler(app);
    for (const job of parsed) {
      this.jobs.push(job);
      this.cancels.push(
        scheduler.schedule(
          job.cron,
          async () => {
            await app.workflows.triggerWorkflow(job.workflow, job.action, {
              ...job.params,
              trigger_time: new Date().toISOString(),
            });
          },
          { name: `${job.workflow}:${job.action}`, timezone: job.timezone },
        ),
      );
    }
  }

  start(): void {
    this.own?.start();
  }

  async stop(): Promise<void> {
    for (const cancel of this.cancels.splice(0)) cancel();
    await this.own?.stop();
  }

  private scheduler(app: AppContext): JobScheduler {
    for (const name of PREFERRED) {
      const svc = app.services.get(name);
      if (JobSchedulerCap.is(svc)) return svc;
    }
    const found = app.services.find(JobSchedulerCap);
    if (found) return found;
    this.own ??= new CronScheduler(app.logger.child({ component: 'trigger.schedule' }));
    return this.own;
  }
}

function parseJobs(config: ConfigMap): ScheduleJob[] {
  const list = config.jobs;
  if (!Array.isArray(list))
    throw new ConfigValueError('schedule trigger: "jobs" must be a list of {cron, workflow, action}', {
      path: ['jobs'],
    });
  return list.map((raw, i) => {
    const c = new ConfigReader(isPlainObject(raw) ? raw : {});
    const cron = c.string(['cron', 'schedule']);
    const workflow = c.string('workflow');
    // A pipeline has one action; only other workflow types need one spelled out.
    const action = c.string('action') || (workflow?.startsWith('pipeline:') ? 'execute' : undefined);
    if (!cron || !workflow || !action) {
      const missing = !cron ? 'cron' : !workflow ? 'workflow' : 'action';
      throw new ConfigValueError(
        `schedule job ${i}: "${missing}" is required (cron, workflow and action are required)`,
        { path: ['jobs', i, missing] },
      );
    }
    const problem = cronProblem(cron);
    if (problem) throw new ConfigValueError(problem, { path: ['jobs', i, 'cron'] });
    return { cron, workflow, action, params: c.map('params') ?? {}, timezone: c.string('timezone') || undefined };
  });
}

/** Inline `trigger: {type: schedule|cron, config: {cron|schedule, timezone?, params?}}` -> one job. */
export const scheduleWrapper: PipelineTriggerWrapper = (pipelineName, config) => {
  const job: ConfigMap = { workflow: `pipeline:${pipelineName}`, action: 'execute' };
  for (const key of ['cron', 'schedule', 'timezone', 'params']) if (config[key] !== undefined) job[key] = config[key];
  return { triggerType: 'schedule', config: { jobs: [job] } };
};
