// observability.otel: the app's OpenTelemetry tracer provider. Spans of http.middleware.otel and the
// step.trace_* steps go through a batch processor to an OTLP/HTTP collector (`endpoint`, upstream's
// "host:port" default localhost:4318, or a URL) under the resource `service.name` = `serviceName`.
// Export runs off the request path: a collector that is down never fails a request; the first failed
// export is logged (once, until an export succeeds again). The provider is the app's own, not the
// process-global one, so apps sharing a process (EngineManager) keep their traces apart.
import type { BasicTracerProvider, ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ExportResult } from '@opentelemetry/core';
import {
  ConfigValueError,
  type AppContext,
  type ConfigMap,
  type Logger,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { loadOtelApi, type Tracer } from './otel.ts';

const DEFAULT_ENDPOINT = 'localhost:4318';

export const otelTracingSchema: TypeSchema = {
  description: 'OpenTelemetry tracing: exports the spans of the app over OTLP/HTTP to a collector',
  configFields: [
    {
      key: 'endpoint',
      type: 'string',
      default: DEFAULT_ENDPOINT,
      description: 'collector "host:port" (plain HTTP, path /v1/traces) or a full http(s) URL',
    },
    { key: 'serviceName', type: 'string', default: 'workflow', description: 'resource service.name of the spans' },
  ],
  validate(config) {
    try {
      tracesUrl(config.endpoint);
      return [];
    } catch (err) {
      const e = err as ConfigValueError;
      return [{ message: e.message, path: e.path, hint: e.hint }];
    }
  },
};

/** Upstream's "host:port" means plain HTTP on the OTLP traces path; a URL without a path gets it too. */
export function tracesUrl(endpoint: unknown): string {
  const fail = (why: string) =>
    new ConfigValueError(`endpoint ${JSON.stringify(endpoint)} ${why}`, {
      path: ['endpoint'],
      hint: 'endpoint: "otel-collector:4318" or "https://collector.example.com/v1/traces"',
    });
  if (endpoint === undefined || endpoint === '') return `http://${DEFAULT_ENDPOINT}/v1/traces`;
  if (typeof endpoint !== 'string') throw fail('must be a string');
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail('is not "host:port" or a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail('must be http or https (OTLP/HTTP)');
  if (url.hostname === '') throw fail('has no host');
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

/** Delegates to the OTLP exporter; says once, clearly, when the collector cannot be reached. */
class ReportingExporter implements SpanExporter {
  private failing = false;
  constructor(
    private readonly inner: SpanExporter,
    private readonly logger: Logger,
    private readonly where: string,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== 0 && !this.failing) {
        this.failing = true;
        this.logger.warn(
          `${this.where}: cannot export ${spans.length} span(s): ${result.error?.message ?? 'export failed'}; ` +
            'requests are not affected, spans are dropped until the collector answers (logged once)',
        );
      } else if (result.code === 0 && this.failing) {
        this.failing = false;
        this.logger.info(`${this.where}: exporting spans again`);
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

export class OTelTracing implements Module {
  readonly type = 'observability.otel';
  readonly url: string;
  readonly serviceName: string;
  private provider?: BasicTracerProvider;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.url = tracesUrl(config.endpoint);
    this.serviceName =
      typeof config.serviceName === 'string' && config.serviceName !== '' ? config.serviceName : 'workflow';
  }

  async init(app: AppContext): Promise<void> {
    const [, sdk, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
      loadOtelApi(),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
    const where = `observability.otel "${this.name}" (${this.url})`;
    const exporter = new ReportingExporter(new OTLPTraceExporter({ url: this.url }), app.logger, where);
    this.provider = new sdk.BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': this.serviceName }),
      spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
    });
  }

  start(app: AppContext): void {
    app.logger.info(`OpenTelemetry tracing started: endpoint ${this.url}, service ${this.serviceName}`);
  }

  tracer(scope: string): Tracer | undefined {
    return this.provider?.getTracer(scope);
  }

  /**
   * Exports every ended span now (the batch processor otherwise waits up to 5 s). Never throws: a
   * failed export is the exporter's to report.
   */
  async flush(): Promise<void> {
    await this.provider?.forceFlush().catch(() => {});
  }

  async stop(): Promise<void> {
    const provider = this.provider;
    this.provider = undefined;
    await provider?.shutdown().catch(() => {});
  }
}

export const createOTelTracing: ModuleFactory = (spec) => new OTelTracing(spec.name, spec.config);
