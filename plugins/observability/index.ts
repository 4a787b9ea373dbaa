// plugins/observability: Prometheus metrics, health/readiness/liveness, recent workflow activity,
// and OpenTelemetry tracing (observability.otel, tracing.propagation, http.middleware.otel and the
// step.trace_* steps; the SDK loads only for apps that use them).
import { pluginManifestInfo, type EnginePlugin } from '../../engine/index.ts';
import manifestJson from './manifest.json' with { type: 'json' };
import { createHealthChecker, healthCheckerSchema, mountHealthEndpoints } from './health-checker.ts';
import { createLogCollector, logCollectorSchema, mountLogEndpoint } from './log-collector.ts';
import { createMetricsCollector, metricsCollectorSchema, wireMetrics } from './metrics-collector.ts';
import { createOTelMiddleware, otelMiddlewareSchema, wireOTelMiddleware } from './otel-middleware.ts';
import { createOTelTracing, otelTracingSchema } from './otel-tracing.ts';
import { createTracePropagation, tracePropagationSchema } from './trace-propagation.ts';
import {
  createTraceAnnotateStep,
  createTraceExtractStep,
  createTraceInjectStep,
  createTraceLinkStep,
  createTraceStartStep,
  traceAnnotateSchema,
  traceExtractSchema,
  traceInjectSchema,
  traceLinkSchema,
  traceStartSchema,
} from './trace-steps.ts';

export { HealthChecker } from './health-checker.ts';
export { MetricsCollector } from './metrics-collector.ts';
export { LogCollector } from './log-collector.ts';
export { OTelTracing } from './otel-tracing.ts';

export const observabilityPlugin: EnginePlugin = {
  manifest: pluginManifestInfo(manifestJson),
  modules: {
    'health.checker': createHealthChecker,
    'metrics.collector': createMetricsCollector,
    'log.collector': createLogCollector,
    'observability.otel': createOTelTracing,
    'tracing.propagation': createTracePropagation,
    'http.middleware.otel': createOTelMiddleware,
  },
  moduleSchemas: {
    'health.checker': healthCheckerSchema,
    'metrics.collector': metricsCollectorSchema,
    'log.collector': logCollectorSchema,
    'observability.otel': otelTracingSchema,
    'tracing.propagation': tracePropagationSchema,
    'http.middleware.otel': otelMiddlewareSchema,
  },
  steps: {
    'step.trace_start': createTraceStartStep,
    'step.trace_annotate': createTraceAnnotateStep,
    'step.trace_inject': createTraceInjectStep,
    'step.trace_extract': createTraceExtractStep,
    'step.trace_link': createTraceLinkStep,
  },
  stepSchemas: {
    'step.trace_start': traceStartSchema,
    'step.trace_annotate': traceAnnotateSchema,
    'step.trace_inject': traceInjectSchema,
    'step.trace_extract': traceExtractSchema,
    'step.trace_link': traceLinkSchema,
  },
  wiringHooks: [
    // first (upstream 100, "highest"): the tracing middleware wraps every other global middleware
    { name: 'observability.otel-middleware', priority: 110, run: wireOTelMiddleware },
    { name: 'observability.health-endpoints', priority: 40, run: mountHealthEndpoints },
    { name: 'observability.metrics-endpoint', priority: 40, run: wireMetrics },
    { name: 'observability.log-endpoint', priority: 40, run: mountLogEndpoint },
  ],
};
