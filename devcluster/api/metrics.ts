// Prometheus metrics of the API server (/metrics), in a registry of its own so several clusters (or
// other components) can live in one process.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ApiMetrics {
  contentType: string;
  watchers: Gauge;
  observe(verb: string, resource: string, code: number, seconds: number): void;
  render(): Promise<string>;
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'apiserver_request_total',
    help: 'API requests by verb, resource and HTTP code',
    labelNames: ['verb', 'resource', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'API request latency (watches: until the stream ends)',
    labelNames: ['verb'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const watchers = new Gauge({
    name: 'apiserver_registered_watchers',
    help: 'Open watch streams',
    registers: [registry],
  });
  return {
    contentType: registry.contentType,
    watchers,
    observe(verb, resource, code, seconds) {
      requests.inc({ verb, resource, code: String(code) });
      if (verb !== 'watch') duration.observe({ verb }, seconds);
    },
    render: () => registry.metrics(),
  };
}
