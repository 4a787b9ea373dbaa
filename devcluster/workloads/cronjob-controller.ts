// kube-controller-manager's CronJob controller: at each schedule time (in the CronJob's time zone) it
// starts a Job from the jobTemplate, named <cronjob>-<scheduled time in minutes>; concurrencyPolicy
// Allow/Forbid/Replace, suspend, startingDeadlineSeconds, the most recent missed run after a
// restart, history limits, and status (active Jobs, lastScheduleTime, lastSuccessfulTime). A timer
// wakes the controller at every minute boundary, as schedules have minute resolution.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { tolerating } from '../controllers/controller.ts';
import { controllerUid, OwnerController } from '../controllers/owner-controller.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';
import { deepEqual } from '../logic/schema.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { dueSchedule, nextSchedule, scheduleMatcher, type ScheduleMatcher } from './cron-schedule.ts';
import { isFinished } from './job-controller.ts';

const ctx = () => systemContext('cronjob-controller');
const SCHEDULED_AT = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

interface CronJobSpec {
  schedule: string;
  timeZone?: string;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  suspend?: boolean;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: object };
}

export class CronJobController extends OwnerController {
  private readonly matchers = new Map<string, { key: string; matcher: ScheduleMatcher }>();
  /** Completed Jobs already reported, so SawCompletedJob is recorded once each. */
  private readonly told = new Set<string>();
  private tick?: NodeJS.Timeout;

  constructor(
    api: ObjectApi,
    catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    private readonly events: EventRecorder,
    private readonly now: () => number = Date.now,
  ) {
    super(api, catalog, cache, logger, {
      group: 'batch',
      plural: 'cronjobs',
      kind: 'CronJob',
      owns: [['batch', 'jobs']],
    });
  }

  private get cronJobs(): ResourceType {
    return this.type('batch', 'cronjobs');
  }
  private get jobs(): ResourceType {
    return this.type('batch', 'jobs');
  }

  override start(): void {
    super.start();
    this.scheduleTick();
  }

  override async stop(): Promise<void> {
    clearTimeout(this.tick);
    await super.stop();
    for (const { matcher } of this.matchers.values()) matcher.destroy();
    this.matchers.clear();
  }

  /** Wakes every CronJob just after each minute boundary. */
  private scheduleTick(): void {
    const now = this.now();
    this.tick = setTimeout(
      () => {
        super.start();
        this.scheduleTick();
      },
      60_000 - (now % 60_000) + 50,
    );
    this.tick.unref?.();
  }

  protected override onChange(change: Change): void {
    if (change.storageKey === 'batch/cronjobs' && change.type === 'DELETED')
      this.forget(change.object.metadata.uid as string);
    super.onChange(change);
  }

  private forget(uid: string): void {
    this.matchers.get(uid)?.matcher.destroy();
    this.matchers.delete(uid);
  }

  private matcherFor(cj: KubeObject, spec: CronJobSpec): ScheduleMatcher {
    const key = `${spec.schedule}\u0000${spec.timeZone ?? ''}`;
    const uid = cj.metadata.uid!;
    const cached = this.matchers.get(uid);
    if (cached?.key === key) return cached.matcher;
    cached?.matcher.destroy();
    const matcher = scheduleMatcher(spec.schedule, spec.timeZone);
    this.matchers.set(uid, { key, matcher });
    return matcher;
  }

  protected async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const cj = this.api.tryGet(this.cronJobs, namespace, name);
    if (!cj || cj.metadata.deletionTimestamp) return;
    const spec = (cj.spec ?? {}) as CronJobSpec;
    const status = structuredClone(
      (cj.status ?? {}) as { active?: object[]; lastScheduleTime?: string; lastSuccessfulTime?: string },
    );
    const owned = this.api
      .list(this.jobs, namespace)
      .items.filter((j) => controllerUid(j, 'CronJob') === cj.metadata.uid);
    const active = owned.filter((j) => !isFinished(j) && !j.metadata.deletionTimestamp);
    const succeeded = owned.filter((j) => conditionOf(j, 'Complete'));
    const lastSuccess = succeeded
      .map((j) => String((j.status as { completionTime?: string }).completionTime ?? ''))
      .sort()
      .pop();
    if (lastSuccess && (!status.lastSuccessfulTime || lastSuccess > status.lastSuccessfulTime)) {
      status.lastSuccessfulTime = lastSuccess;
      for (const j of succeeded.filter((x) => !this.told.has(x.metadata.uid!))) {
        this.told.add(j.metadata.uid!);
        this.events.record(
          cj,
          'Normal',
          'SawCompletedJob',
          `Saw completed job: ${j.metadata.name}, condition: Complete`,
        );
      }
    }
    await this.pruneHistory(cj, owned, spec);

    const now = this.now();
    let scheduledJob: KubeObject | undefined;
    if (!spec.suspend) {
      const matcher = this.matcherFor(cj, spec);
      const after = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
      const due = dueSchedule(matcher.matches, after, now, spec.startingDeadlineSeconds);
      if (due) {
        if (due.missed > 100)
          this.events.record(
            cj,
            'Warning',
            'TooManyMissedTimes',
            'too many missed start times: > 100. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
          );
        if (spec.concurrencyPolicy === 'Forbid' && active.length) {
          this.events.record(
            cj,
            'Normal',
            'JobAlreadyActive',
            'Not starting job because prior execution is running and concurrency policy is Forbid',
          );
        } else {
          if (spec.concurrencyPolicy === 'Replace') {
            for (const j of active) {
              await this.api
                .delete(this.jobs, namespace, j.metadata.name!, { propagationPolicy: 'Background' }, ctx())
                .catch(tolerating(404, 409));
              this.events.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
            }
            active.length = 0;
          }
          scheduledJob = await this.startJob(cj, spec, due.time);
          status.lastScheduleTime = nowSeconds(due.time);
        }
      }
      const next = nextSchedule(matcher.matches, now);
      this.queue.addAfter(key, next === undefined ? 60 * 60_000 : next - now + 50);
    }
    const refs = [...active, ...(scheduledJob ? [scheduledJob] : [])].map((j) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: j.metadata.name,
      namespace,
      uid: j.metadata.uid,
      resourceVersion: j.metadata.resourceVersion,
    }));
    status.active = refs.length ? refs : undefined;
    const next = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined));
    if (!deepEqual(next, cj.status ?? {}))
      await this.api
        .update(this.cronJobs, namespace, name, { ...cj, status: next }, ctx(), 'status')
        .catch(tolerating(404, 409));
  }

  private async startJob(cj: KubeObject, spec: CronJobSpec, scheduled: number): Promise<KubeObject | undefined> {
    const name = `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;
    const template = spec.jobTemplate ?? {};
    try {
      const job = await this.api.create(
        this.jobs,
        cj.metadata.namespace!,
        {
          metadata: {
            name,
            labels: { ...template.metadata?.labels },
            annotations: { ...template.metadata?.annotations, [SCHEDULED_AT]: nowSeconds(scheduled) },
            ownerReferences: [
              {
                apiVersion: 'batch/v1',
                kind: 'CronJob',
                name: cj.metadata.name!,
                uid: cj.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: template.spec,
        },
        ctx(),
      );
      this.events.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
      return job;
    } catch (e) {
      const existing = this.api.tryGet(this.jobs, cj.metadata.namespace!, name);
      if (existing) return existing;
      this.events.record(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** successfulJobsHistoryLimit / failedJobsHistoryLimit: the oldest finished Jobs beyond them go. */
  private async pruneHistory(cj: KubeObject, owned: KubeObject[], spec: CronJobSpec): Promise<void> {
    for (const [condition, limit] of [
      ['Complete', spec.successfulJobsHistoryLimit ?? 3],
      ['Failed', spec.failedJobsHistoryLimit ?? 1],
    ] as const) {
      const finished = owned
        .filter((j) => conditionOf(j, condition) && !j.metadata.deletionTimestamp)
        .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
      for (const j of finished.slice(0, Math.max(0, finished.length - limit))) {
        await this.api
          .delete(this.jobs, cj.metadata.namespace!, j.metadata.name!, { propagationPolicy: 'Background' }, ctx())
          .catch(tolerating(404, 409));
        this.events.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
      }
    }
  }
}

function conditionOf(job: KubeObject, type: string): boolean {
  return ((job.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some(
    (c) => c.type === type && c.status === 'True',
  );
}
