// The OpenTelemetry JS API, loaded on first use: its packages cost ~0.5 s of imports, so only apps
// that configure a tracing type (observability.otel, tracing.propagation, http.middleware.otel,
// step.trace_*) load them. Loading registers the AsyncLocalStorage context manager once per process:
// the active span then follows a request through every await into the pipeline's steps.
import type * as OtelApi from '@opentelemetry/api';

export type Api = typeof OtelApi;
export type { TextMapPropagator, Tracer } from '@opentelemetry/api';

let loading: Promise<Api> | undefined;

export function loadOtelApi(): Promise<Api> {
  loading ??= (async () => {
    const [api, { AsyncLocalStorageContextManager }] = await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/context-async-hooks'),
    ]);
    // false when a host process registered its own manager first: that one carries context as well
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    return api;
  })();
  return loading;
}

/** Reads a carrier map whatever the case of its keys ("Traceparent" from Go's canonical headers). */
export const caseInsensitiveGetter: OtelApi.TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const exact = carrier[key];
    if (typeof exact === 'string') return exact;
    const lower = key.toLowerCase();
    for (const k of Object.keys(carrier)) {
      const v = carrier[k];
      if (k.toLowerCase() === lower && typeof v === 'string') return v;
    }
    return undefined;
  },
};
