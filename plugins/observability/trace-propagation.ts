// tracing.propagation: how the app reads and writes trace context in carriers (HTTP headers, message
// header maps). `format`: w3c (traceparent/tracestate plus baggage, the default), b3 (Zipkin's
// single `b3` header out, single or multi X-B3-* headers in) or composite (both). Used by
// http.middleware.otel and the step.trace_* steps; without this module an app propagates w3c.
// appTracing() is the one place that resolves an app's tracer and propagator.
import type { AppContext, ConfigMap, Module, ModuleFactory, TypeSchema } from '../../engine/index.ts';
import { loadOtelApi, type Api, type TextMapPropagator, type Tracer } from './otel.ts';
import { OTelTracing } from './otel-tracing.ts';

const FORMATS = ['w3c', 'b3', 'composite'] as const;
type Format = (typeof FORMATS)[number];

export const tracePropagationSchema: TypeSchema = {
  description: 'Trace context propagation format for HTTP headers and message carriers',
  configFields: [
    {
      key: 'format',
      type: 'select',
      options: [...FORMATS],
      default: 'w3c',
      description: 'w3c (traceparent, tracestate, baggage), b3 or composite (both)',
    },
  ],
};

async function buildPropagator(format: Format): Promise<TextMapPropagator> {
  const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const w3c = [new W3CTraceContextPropagator(), new W3CBaggagePropagator()];
  if (format === 'w3c') return new CompositePropagator({ propagators: w3c });
  const { B3Propagator } = await import('@opentelemetry/propagator-b3');
  return new CompositePropagator({
    propagators: format === 'b3' ? [new B3Propagator()] : [...w3c, new B3Propagator()],
  });
}

export class TracePropagation implements Module {
  readonly type = 'tracing.propagation';
  readonly format: Format;
  propagator?: TextMapPropagator;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    // the select is checked by validation; an unchecked value (engine API) falls back as upstream does
    this.format = FORMATS.includes(config.format as Format) ? (config.format as Format) : 'w3c';
  }

  async init(): Promise<void> {
    await loadOtelApi();
    this.propagator = await buildPropagator(this.format);
  }
}

export const createTracePropagation: ModuleFactory = (spec) => new TracePropagation(spec.name, spec.config);

export interface AppTracing {
  api: Api;
  /** The app's observability.otel tracer, else a no-op one (spans keep the incoming context only). */
  tracer: Tracer;
  propagator: TextMapPropagator;
}

/** The tracer (scope `scope`) and propagator of an app, after its modules' init. */
export async function appTracing(app: AppContext, scope: string): Promise<AppTracing> {
  const api = await loadOtelApi();
  let tracer: Tracer | undefined;
  let propagator: TextMapPropagator | undefined;
  for (const name of app.services.names()) {
    const s = app.services.get(name);
    if (s instanceof OTelTracing) tracer ??= s.tracer(scope);
    else if (s instanceof TracePropagation) propagator ??= s.propagator;
  }
  return {
    api,
    tracer: tracer ?? new api.ProxyTracerProvider().getTracer(scope),
    propagator: propagator ?? (await buildPropagator('w3c')),
  };
}
