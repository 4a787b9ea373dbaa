// Prometheus metrics of the operator, on a registry of its own (several operators can run in one
// process, as the tests do). Names follow controller-runtime's (reconcile, workqueue) under our prefix.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueMetrics } from '../common/index.ts';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly admissionRequests = new Counter({
    name: 'workflow_operator_admission_requests_total',
    help: 'AdmissionReviews answered, by webhook (validate, mutate) and result (allowed, denied, error)',
    labelNames: ['webhook', 'result'],
    registers: [this.registry],
  });
  readonly admissionDuration = new Histogram({
    name: 'workflow_operator_admission_duration_seconds',
    help: 'Time to answer an AdmissionReview, body read to response written',
    labelNames: ['webhook'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  readonly reconcileTotal = new Counter({
    name: 'workflow_operator_reconcile_total',
    help: 'Reconciles by result',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'workflow_operator_reconcile_errors_total',
    help: 'Reconciles that failed and were requeued with backoff',
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'workflow_operator_reconcile_duration_seconds',
    help: 'Time per reconcile',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'workflow_operator_workqueue_depth',
    help: 'Keys waiting in the work queue',
    registers: [this.registry],
  });
  readonly queueAdds = new Counter({
    name: 'workflow_operator_workqueue_adds_total',
    help: 'Keys added to the work queue',
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: 'workflow_operator_workqueue_retries_total',
    help: 'Keys re-added with backoff',
    registers: [this.registry],
  });
  readonly queueLatency = new Histogram({
    name: 'workflow_operator_workqueue_queue_duration_seconds',
    help: 'Time a key waits in the queue before a worker takes it',
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60],
    registers: [this.registry],
  });
  readonly workDuration = new Histogram({
    name: 'workflow_operator_workqueue_work_duration_seconds',
    help: 'Time a worker holds a key',
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10],
    registers: [this.registry],
  });
  readonly apiWrites = new Counter({
    name: 'workflow_operator_api_writes_total',
    help: 'Writes to the Kubernetes API by verb and kind',
    labelNames: ['verb', 'kind'],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'workflow_operator_leader',
    help: '1 while this replica holds the leader lease',
    registers: [this.registry],
  });
  readonly apps = new Gauge({
    name: 'workflow_operator_managed_apps',
    help: 'WorkflowApps in the cache',
    registers: [this.registry],
  });
  readonly informerRestarts = new Gauge({
    name: 'workflow_operator_informer_restarts',
    help: 'Watch restarts after errors, per informer',
    labelNames: ['informer'],
    registers: [this.registry],
  });
  readonly informerRelists = new Gauge({
    name: 'workflow_operator_informer_relists',
    help: 'Full relists after the first list (410 Gone), per informer',
    labelNames: ['informer'],
    registers: [this.registry],
  });

  readonly sourceReconciles = new Counter({
    name: 'workflow_operator_source_reconcile_total',
    help: 'WorkflowSource reconciles by result',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly sourceReconcileDuration = new Histogram({
    name: 'workflow_operator_source_reconcile_duration_seconds',
    help: 'Time per WorkflowSource reconcile (fetch, render, compare, apply, prune, status)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly sourceFetches = new Counter({
    name: 'workflow_operator_source_fetch_total',
    help: 'git fetches of WorkflowSources by result',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly webhookRequests = new Counter({
    name: 'workflow_operator_webhook_requests_total',
    help: 'POST /hooks/git by sender and result',
    labelNames: ['provider', 'result'],
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'workflow_operator_' });
  }

  queueMetrics(): QueueMetrics {
    return {
      added: () => this.queueAdds.inc(),
      depth: (n) => this.queueDepth.set(n),
      waited: (s) => this.queueLatency.observe(s),
      worked: (s) => this.workDuration.observe(s),
      retried: () => this.queueRetries.inc(),
    };
  }

  /** Total writes so far (all verbs and kinds). */
  async writes(): Promise<number> {
    const m = await this.apiWrites.get();
    return m.values.reduce((n, v) => n + v.value, 0);
  }
}
