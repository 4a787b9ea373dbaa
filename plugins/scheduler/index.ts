// plugins/scheduler: scheduler.cron (a JobScheduler), the `schedule` trigger with inline pipeline
// wrappers (`schedule`, and `cron` as the docs spell it), and the `scheduler` workflow handler.
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createCronSchedulerModule, cronSchedulerSchema } from './cron-scheduler-module.ts';
import { ScheduleTrigger, scheduleWrapper } from './schedule-trigger.ts';
import { SchedulerWorkflowHandler } from './scheduler-workflow-handler.ts';

export const schedulerPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'scheduler.cron': createCronSchedulerModule },
  moduleSchemas: { 'scheduler.cron': cronSchedulerSchema },
  triggers: { schedule: () => new ScheduleTrigger() },
  workflowHandlers: { scheduler: () => new SchedulerWorkflowHandler() },
  pipelineTriggerWrappers: { schedule: scheduleWrapper, cron: scheduleWrapper },
};

export { CronScheduler, cronProblem } from './cron-scheduler.ts';
export { CronSchedulerModule, createCronSchedulerModule } from './cron-scheduler-module.ts';
