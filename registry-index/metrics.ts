// Prometheus metrics of one registry server, on a registry of its own (several servers can live in
// one process, as they do in tests and in the all-in-one platform).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { allRefusals } from './published.ts';
import type { RegistrySnapshot, SyncResult } from './sync.ts';

export class RegistryMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'registry_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'registry_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  private readonly syncs = new Counter({
    name: 'registry_sync_total',
    help: 'Sync runs by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly plugins = new Gauge({
    name: 'registry_plugins',
    help: 'Plugins in the served index',
    registers: [this.registry],
  });
  private readonly refused = new Gauge({
    name: 'registry_refused_versions',
    help: 'Versions whose changed artifacts are refused (immutability)',
    registers: [this.registry],
  });
  private readonly lastSync = new Gauge({
    name: 'registry_last_sync_timestamp_seconds',
    help: 'When the served index was accepted',
    registers: [this.registry],
  });

  observeRequest(route: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.latency.observe({ route }, seconds);
  }

  observeSync(result: SyncResult): void {
    this.syncs.inc({ outcome: result.outcome });
  }

  observeSnapshot(s: RegistrySnapshot): void {
    this.plugins.set(s.index.plugins.size);
    this.refused.set(allRefusals(s.published).length);
    this.lastSync.set(s.syncedAt.getTime() / 1000);
  }
}
