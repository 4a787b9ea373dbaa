// The WorkflowTenant controller: tenant changes seen by the tenant view (spec, namespaces, license
// Secret, apps, license verdict) feed tenant names into the work queue; N workers run
// reconcileTenant. Runs on the leader only; the view itself runs on every replica.
import type { Logger } from 'pino';
import * as api from '../api/constants.ts';
import * as tenantApi from '../api/tenant-constants.ts';
import type { KubeClient } from '../kube/client.ts';
import { isConflict, isTemporary } from '../kube/errors.ts';
import type { EventRecorder } from '../kube/events.ts';
import { type Clock, DefaultControllerRateLimiter, systemClock, WorkQueue } from '../../common/index.ts';
import { reconcileTenant, type TenantReconcileDeps } from './reconcile.ts';
import type { TenantView } from './view.ts';

export interface TenantControllerOptions {
  client: KubeClient;
  view: TenantView;
  events?: EventRecorder;
  logger: Logger;
  workers?: number;
  /** Re-reconcile every tenant this often (license expiry, usage reports); default 5 min. */
  resyncMs?: number;
  clock?: Clock;
}

export class TenantController {
  readonly queue: WorkQueue<string>;
  private readonly clock: Clock;
  private readonly deps: TenantReconcileDeps;
  private workers: Promise<void>[] = [];
  private resyncTimer: unknown;
  private running = false;

  constructor(private readonly opts: TenantControllerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.queue = new WorkQueue<string>(this.clock, new DefaultControllerRateLimiter(this.clock));
    const { client } = opts;
    this.deps = {
      view: opts.view,
      applied: new Map(),
      now: () => this.clock.now(),
      events: opts.events,
      logger: opts.logger,
      client: {
        apply: (obj) => client.apply(obj),
        delete: (ref) => client.delete(ref),
        patchTenantStatus: (name, patch) =>
          client.patchClusterCustomStatus(
            { group: api.group, version: api.version, plural: tenantApi.plural, name },
            patch,
          ),
      },
    };
    opts.view.onTenantChange((name) => {
      if (this.running) this.queue.add(name);
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.opts.view.start();
    if (!this.running) return;
    for (const t of this.opts.view.tenants()) this.queue.add(t.metadata.name);
    this.workers = Array.from({ length: Math.max(1, this.opts.workers ?? 2) }, () => this.work());
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  idle(): boolean {
    return this.queue.pending() === 0;
  }

  private scheduleResync(): void {
    this.resyncTimer = this.clock.setTimeout(
      () => {
        if (!this.running) return;
        for (const t of this.opts.view.tenants()) this.queue.add(t.metadata.name);
        this.scheduleResync();
      },
      this.opts.resyncMs ?? 5 * 60_000,
    );
  }

  private async work(): Promise<void> {
    for (;;) {
      const name = await this.queue.get();
      if (name === undefined) return;
      try {
        const result = await reconcileTenant(name, this.deps);
        this.queue.forget(name);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(name, result.requeueAfterMs);
      } catch (err) {
        const level = isConflict(err) ? 'debug' : isTemporary(err) ? 'info' : 'error';
        this.opts.logger[level]({ tenant: name, err: (err as Error).message }, 'tenant reconcile failed; retrying');
        if (this.running) this.queue.addRateLimited(name);
      } finally {
        this.queue.done(name);
      }
    }
  }
}
