// Workflow handler `scheduler`: `workflows.scheduler.jobs[{scheduler, job, cron?, config?}]` runs the
// job module on the scheduler module's schedule (its cronExpression, or the job's own `cron`).
// A job is a module with run()/execute(), or a message handler that receives a JSON message.
// Executing action "<scheduler>:<job>" or "<job>" runs the job once, now.
import {
  ConfigValueError,
  JobSchedulerCap,
  MessageSubscriberCap,
  type AppContext,
  type ConfigMap,
  type WorkflowHandler,
} from '../../engine/index.ts';
import { ConfigReader, describe, isPlainObject } from '../support/index.ts';

interface RunnableJob {
  run?(data: ConfigMap): unknown;
  execute?(data: ConfigMap): unknown;
}

/** A scheduler that owns a default expression (scheduler.cron / scheduler.modular). */
interface ModuleScheduler {
  scheduleJob(job: () => Promise<void>, name: string): () => void;
}

export class SchedulerWorkflowHandler implements WorkflowHandler {
  canHandle(workflowType: string): boolean {
    return workflowType === 'scheduler';
  }

  configure(app: AppContext, _type: string, section: unknown): void {
    if (!isPlainObject(section))
      throw new ConfigValueError(`workflows.scheduler must be a map, got ${describe(section)}`);
    new ConfigReader(section).list('jobs').forEach((raw, i) => {
      const c = new ConfigReader(isPlainObject(raw) ? raw : {});
      const schedulerName = c.string('scheduler');
      const jobName = c.string('job');
      if (!schedulerName || !jobName)
        throw new ConfigValueError(`jobs[${i}]: scheduler and job are required`, { path: ['jobs', i] });
      const scheduler = app.services.get(schedulerName);
      if (!JobSchedulerCap.is(scheduler)) {
        throw new ConfigValueError(`jobs[${i}]: "${schedulerName}" is not a scheduler module`, {
          path: ['jobs', i, 'scheduler'],
          hint: 'use a scheduler.modular or scheduler.cron module',
        });
      }
      if (!app.services.has(jobName))
        throw new ConfigValueError(`jobs[${i}]: job "${jobName}" is not a module of this app`, {
          path: ['jobs', i, 'job'],
        });
      const jobConfig = c.map('config') ?? {};
      const run = () =>
        runJob(app, jobName, {
          job: jobName,
          scheduler: schedulerName,
          config: jobConfig,
          trigger_time: new Date().toISOString(),
        });
      const cron = c.string('cron');
      if (cron) scheduler.schedule(cron, run, { name: jobName });
      else if (hasScheduleJob(scheduler)) scheduler.scheduleJob(run, jobName);
      else
        throw new ConfigValueError(`jobs[${i}]: give the job a cron, or use a scheduler with a cronExpression`, {
          path: ['jobs', i],
        });
    });
  }

  async execute(app: AppContext, _type: string, action: string, data: ConfigMap): Promise<ConfigMap> {
    const jobName = action.includes(':') ? action.split(':', 2)[1] : action;
    if (!jobName) throw new Error('scheduler workflow: job name not specified');
    if (!app.services.has(jobName)) throw new Error(`scheduler workflow: job "${jobName}" not found`);
    await runJob(app, jobName, { ...data, job: jobName, trigger_time: new Date().toISOString() });
    return { success: true, job: jobName };
  }
}

async function runJob(app: AppContext, jobName: string, data: ConfigMap): Promise<void> {
  const job = app.services.get<RunnableJob>(jobName);
  if (typeof job?.run === 'function') await job.run(data);
  else if (typeof job?.execute === 'function') await job.execute(data);
  else if (MessageSubscriberCap.is(job))
    await job.handleMessage(`scheduler.${jobName}`, Buffer.from(JSON.stringify(data)));
  else throw new Error(`scheduled job "${jobName}" cannot run: it is not a job or message handler module`);
}

function hasScheduleJob(s: unknown): s is ModuleScheduler {
  return typeof (s as ModuleScheduler).scheduleJob === 'function';
}
