// batch/v1 Jobs and CronJobs: schemas, the defaults kube-apiserver fills in (the generated selector
// and labels of a Job, parallelism/completions/backoffLimit, a CronJob's policies) and validation
// (restart policies a Job's pods may have, cron schedules checked with node-cron, immutable fields).
import cron from 'node-cron';
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../../api/errors.ts';
import { deepEqual, isObject, type JsonObject } from '../../logic/schema.ts';
import { objectFrame, type KubeObject } from '../object-meta.ts';
import { age, type ResourceType } from '../resource-type.ts';
import { atomicList, bool, int, int64, keyedList, obj, opaque, str, stringMap, time } from '../schema-dsl.ts';
import { col, defineBuiltin, get } from './define.ts';
import { defaultPodSpec, labelSelectorSchema, podTemplateSpecSchema, validatePodSpec } from './pod-spec.ts';

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

const conditions = keyedList(
  obj({
    type: str(),
    status: str(),
    lastProbeTime: time(),
    lastTransitionTime: time(),
    reason: str(),
    message: str(),
  }),
  ['type'],
);

const jobSpec = obj(
  {
    parallelism: int(),
    completions: int(),
    activeDeadlineSeconds: int64(),
    podFailurePolicy: opaque(),
    successPolicy: opaque(),
    backoffLimit: int(),
    backoffLimitPerIndex: int(),
    maxFailedIndexes: int(),
    selector: labelSelectorSchema,
    manualSelector: bool(),
    template: podTemplateSpecSchema,
    ttlSecondsAfterFinished: int(),
    completionMode: str(),
    suspend: bool(),
    podReplacementPolicy: str(),
    managedBy: str(),
  },
  { required: ['template'] },
);

const jobStatus = obj({
  conditions,
  startTime: time(),
  completionTime: time(),
  active: int(),
  succeeded: int(),
  failed: int(),
  terminating: int(),
  completedIndexes: str(),
  failedIndexes: str(),
  uncountedTerminatedPods: obj({ succeeded: atomicList(str()), failed: atomicList(str()) }),
  ready: int(),
});

function finished(o: KubeObject): string | undefined {
  const c = ((get(o, 'status', 'conditions') as JsonObject[] | undefined) ?? []).find(
    (x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True',
  );
  return c?.type as string | undefined;
}

function jobStatusCell(o: KubeObject): string {
  const done = finished(o);
  if (done) return done;
  const conds = (get(o, 'status', 'conditions') as JsonObject[] | undefined) ?? [];
  if (conds.some((c) => c.type === 'Suspended' && c.status === 'True')) return 'Suspended';
  if (conds.some((c) => c.type === 'FailureTarget' && c.status === 'True')) return 'FailureTarget';
  if (conds.some((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True')) return 'SuccessCriteriaMet';
  return 'Running';
}

function durationCell(o: KubeObject, now: number): string {
  const start = get(o, 'status', 'startTime') as string | undefined;
  if (!start) return '';
  const end = get(o, 'status', 'completionTime') as string | undefined;
  return age(start, end ? Date.parse(end) : now);
}

const containersCell = (template: unknown) =>
  ((get(template, 'spec', 'containers') as JsonObject[] | undefined) ?? []).map((c) => c.name).join(',');
const imagesCell = (template: unknown) =>
  ((get(template, 'spec', 'containers') as JsonObject[] | undefined) ?? []).map((c) => c.image).join(',');

/** The selector and labels kube generates for a Job (manualSelector false). */
function defaultJob(o: KubeObject, uid: string | undefined): void {
  const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
  if (spec.parallelism === undefined && spec.completions === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  const template = (isObject(spec.template) ? spec.template : (spec.template = {})) as JsonObject;
  const meta = (isObject(template.metadata) ? template.metadata : (template.metadata = {})) as JsonObject;
  if (uid && spec.manualSelector !== true) {
    const labels = {
      [CONTROLLER_UID_LABEL]: uid,
      [JOB_NAME_LABEL]: o.metadata.name!,
      'controller-uid': uid,
      'job-name': o.metadata.name!,
    };
    meta.labels = { ...(meta.labels as Record<string, string> | undefined), ...labels };
    spec.selector ??= { matchLabels: { [CONTROLLER_UID_LABEL]: uid } };
  }
  if (isObject(template.spec)) defaultPodSpec(template.spec);
}

function validateJobSpec(spec: unknown, field: string): FieldError[] {
  if (!isObject(spec)) return [fieldRequired(field)];
  const errors: FieldError[] = [];
  for (const k of ['parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished']) {
    const v = spec[k];
    if (typeof v === 'number' && v < (k === 'activeDeadlineSeconds' ? 1 : 0))
      errors.push(
        fieldInvalid(`${field}.${k}`, v, `must be greater than or equal to ${k === 'activeDeadlineSeconds' ? 1 : 0}`),
      );
  }
  if (spec.completionMode !== undefined && !['NonIndexed', 'Indexed'].includes(String(spec.completionMode)))
    errors.push(fieldNotSupported(`${field}.completionMode`, spec.completionMode, ['NonIndexed', 'Indexed']));
  if (spec.completionMode === 'Indexed' && typeof spec.completions !== 'number')
    errors.push(fieldRequired(`${field}.completions`, 'when completion mode is Indexed'));
  const restart = get(spec, 'template', 'spec', 'restartPolicy');
  if (restart !== undefined && restart !== 'OnFailure' && restart !== 'Never')
    errors.push(fieldNotSupported(`${field}.template.spec.restartPolicy`, restart, ['OnFailure', 'Never']));
  if (restart === undefined)
    errors.push(fieldRequired(`${field}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
  if (!isObject(spec.template)) errors.push(fieldRequired(`${field}.template`));
  else errors.push(...validatePodSpec(get(spec, 'template', 'spec'), `${field}.template.spec`));
  return errors;
}

const job = defineBuiltin({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  namespaced: true,
  categories: ['all'],
  tracksGeneration: true,
  statusSubresource: true,
  schema: objectFrame({ spec: jobSpec, status: jobStatus }),
  columns: [
    col('Status', jobStatusCell),
    col('Completions', (o) => {
      const completions = get(o, 'spec', 'completions');
      const succeeded = Number(get(o, 'status', 'succeeded') ?? 0);
      return typeof completions === 'number'
        ? `${succeeded}/${completions}`
        : `${succeeded}/1 of ${get(o, 'spec', 'parallelism') ?? 1}`;
    }),
    col('Duration', durationCell),
  ],
  trailingColumns: [
    col('Containers', (o) => containersCell(get(o, 'spec', 'template')), 1),
    col('Images', (o) => imagesCell(get(o, 'spec', 'template')), 1),
    col(
      'Selector',
      (o) =>
        Object.entries((get(o, 'spec', 'selector', 'matchLabels') as Record<string, string>) ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      1,
    ),
  ],
  strategy: {
    prepareForCreate(o) {
      o.status = {};
      defaultJob(o, o.metadata.uid);
    },
    prepareForUpdate(o, old) {
      defaultJob(o, old.metadata.uid);
    },
    validate(o, old) {
      const errors = validateJobSpec(o.spec, 'spec');
      if (old) {
        for (const f of [
          'selector',
          'completions',
          'completionMode',
          'manualSelector',
          'podFailurePolicy',
          'successPolicy',
        ]) {
          if (!deepEqual(get(o, 'spec', f) ?? null, get(old, 'spec', f) ?? null))
            errors.push(fieldInvalid(`spec.${f}`, get(o, 'spec', f) ?? null, 'field is immutable'));
        }
        // the template may change only while the Job is suspended (kube's mutable scheduling directives aside)
        if (
          !deepEqual(get(o, 'spec', 'template'), get(old, 'spec', 'template')) &&
          get(old, 'spec', 'suspend') !== true
        )
          errors.push(fieldInvalid('spec.template', 'core.PodTemplateSpec{...}', 'field is immutable'));
      }
      return errors;
    },
  },
});

/** A schedule kube accepts: 5 fields (or a macro), valid per node-cron's parser. */
export function scheduleProblem(schedule: unknown): string | undefined {
  if (typeof schedule !== 'string' || !schedule.trim()) return 'a schedule is required';
  const text = schedule.trim();
  const fields = text.split(/\s+/);
  if (text.startsWith('@')) {
    if (!['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'].includes(text))
      return `unsupported macro "${text}"`;
    return undefined;
  }
  if (text.startsWith('TZ=') || text.startsWith('CRON_TZ='))
    return 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: ${text}`;
  const detailed = cron.validateDetailed(text);
  if (!detailed.valid) return detailed.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'invalid schedule';
  return undefined;
}

export function timeZoneProblem(tz: unknown): string | undefined {
  if (tz === undefined) return undefined;
  if (typeof tz !== 'string' || !tz) return 'unknown time zone';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return undefined;
  } catch {
    return `unknown time zone ${tz}`;
  }
}

const cronJob = defineBuiltin({
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  tracksGeneration: true,
  statusSubresource: true,
  schema: objectFrame({
    spec: obj(
      {
        schedule: str(),
        timeZone: str(),
        startingDeadlineSeconds: int64(),
        concurrencyPolicy: str(),
        suspend: bool(),
        jobTemplate: obj({
          metadata: obj(
            { labels: stringMap(), annotations: stringMap() },
            { 'x-kubernetes-preserve-unknown-fields': true },
          ),
          spec: jobSpec,
        }),
        successfulJobsHistoryLimit: int(),
        failedJobsHistoryLimit: int(),
      },
      { required: ['schedule', 'jobTemplate'] },
    ),
    status: obj({ active: atomicList(opaque()), lastScheduleTime: time(), lastSuccessfulTime: time() }),
  }),
  columns: [
    col('Schedule', (o) => get(o, 'spec', 'schedule')),
    col('Timezone', (o) => get(o, 'spec', 'timeZone') ?? '<none>'),
    col('Suspend', (o) => String(get(o, 'spec', 'suspend') ?? false)),
    col('Active', (o) => ((get(o, 'status', 'active') as unknown[] | undefined) ?? []).length),
    col('Last Schedule', (o, now) => {
      const last = get(o, 'status', 'lastScheduleTime') as string | undefined;
      return last ? age(last, now) : '<none>';
    }),
  ],
  trailingColumns: [
    col('Containers', (o) => containersCell(get(o, 'spec', 'jobTemplate', 'spec', 'template')), 1),
    col('Images', (o) => imagesCell(get(o, 'spec', 'jobTemplate', 'spec', 'template')), 1),
    col('Selector', () => '<none>', 1),
  ],
  strategy: {
    prepareForCreate(o) {
      const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
      spec.concurrencyPolicy ??= 'Allow';
      spec.suspend ??= false;
      spec.successfulJobsHistoryLimit ??= 3;
      spec.failedJobsHistoryLimit ??= 1;
      const jt = get(spec, 'jobTemplate', 'spec', 'template', 'spec');
      if (isObject(jt)) defaultPodSpec(jt);
      o.status = {};
    },
    prepareForUpdate(o) {
      const jt = get(o, 'spec', 'jobTemplate', 'spec', 'template', 'spec');
      if (isObject(jt)) defaultPodSpec(jt);
    },
    validate(o) {
      const errors: FieldError[] = [];
      const spec = (isObject(o.spec) ? o.spec : {}) as JsonObject;
      const schedule = scheduleProblem(spec.schedule);
      if (schedule) errors.push(fieldInvalid('spec.schedule', spec.schedule ?? '', schedule));
      const tz = timeZoneProblem(spec.timeZone);
      if (tz) errors.push(fieldInvalid('spec.timeZone', spec.timeZone, tz));
      if (
        spec.concurrencyPolicy !== undefined &&
        !['Allow', 'Forbid', 'Replace'].includes(String(spec.concurrencyPolicy))
      )
        errors.push(
          fieldNotSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']),
        );
      if (get(spec, 'jobTemplate', 'spec', 'selector') !== undefined)
        errors.push(fieldForbidden('spec.jobTemplate.spec.selector', '`selector` will be auto-generated'));
      errors.push(...validateJobSpec(get(spec, 'jobTemplate', 'spec'), 'spec.jobTemplate.spec'));
      return errors;
    },
  },
});

export const batchTypes: ResourceType[] = [job, cronJob];
