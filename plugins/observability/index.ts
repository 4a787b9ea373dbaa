// plugins/observability: Prometheus metrics, health/readiness/liveness, recent workflow activity.
import { pluginManifestInfo, type EnginePlugin } from '../../engine/index.ts';
import manifestJson from './manifest.json' with { type: 'json' };
import { createHealthChecker, healthCheckerSchema, mountHealthEndpoints } from './health-checker.ts';
import { createLogCollector, logCollectorSchema, mountLogEndpoint } from './log-collector.ts';
import { createMetricsCollector, metricsCollectorSchema, wireMetrics } from './metrics-collector.ts';

export { HealthChecker } from './health-checker.ts';
export { MetricsCollector } from './metrics-collector.ts';
export { LogCollector } from './log-collector.ts';

export const observabilityPlugin: EnginePlugin = {
  manifest: pluginManifestInfo(manifestJson),
  modules: {
    'health.checker': createHealthChecker,
    'metrics.collector': createMetricsCollector,
    'log.collector': createLogCollector,
  },
  moduleSchemas: {
    'health.checker': healthCheckerSchema,
    'metrics.collector': metricsCollectorSchema,
    'log.collector': logCollectorSchema,
  },
  wiringHooks: [
    { name: 'observability.health-endpoints', priority: 40, run: mountHealthEndpoints },
    { name: 'observability.metrics-endpoint', priority: 40, run: wireMetrics },
    { name: 'observability.log-endpoint', priority: 40, run: mountLogEndpoint },
  ],
};
