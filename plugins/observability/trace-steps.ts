// The step.trace_* steps (upstream module/pipeline_step_tracing.go). They work on the active trace
// context: under http.middleware.otel that is the request's server span; elsewhere a new root. Spans
// are recorded and exported when the app has an observability.otel module; without one they still
// carry incoming context (a no-op tracer, as upstream's default provider).
//   trace_start    span `span_name` (default: the step name), INTERNAL, child of the active span,
//                  with string `attributes` -> {trace_id, span_id}
//   trace_annotate `attributes` on the active span, and an event `event_name` with them -> {annotated}
//   trace_inject   the active context as carrier headers (traceparent, tracestate, baggage; b3 per
//                  tracing.propagation) -> {<carrier_field>: {header: value}}
//   trace_extract  reads the carrier map at `carrier_field` -> {extracted_trace_id, extracted_span_id,
//                  trace_valid}
//   trace_link     span "trace.link" linked to the context in the carrier at `parent_field` ->
//                  {linked, parent_trace_id, parent_span_id} or {linked: false, reason}
// Attribute values are templates ("{{ .id }}"), resolved per run.
import {
  ConfigValueError,
  isPlainMap,
  lookupPath,
  type CompiledValue,
  type ConfigMap,
  type PipelineContext,
  type StepBuildContext,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import type { Attributes } from '@opentelemetry/api';
import { caseInsensitiveGetter, loadOtelApi } from './otel.ts';
import { appTracing, type AppTracing } from './trace-propagation.ts';

const CARRIER_TYPES = ['http', 'kafka', 'eventbridge'] as const;
const SCOPE = 'workflow.pipeline';

const attributesField = {
  key: 'attributes',
  type: 'map' as const,
  description: 'span attributes: name -> string, number or boolean (strings may be templates)',
};

function attributeProblems(config: ConfigMap): Array<{ message: string; path: Array<string>; hint: string }> {
  const raw = config.attributes;
  if (raw === undefined || raw === null) return [];
  const hint = 'attributes: { order.id: "{{ .id }}", env: prod }';
  if (!isPlainMap(raw)) return [{ message: '"attributes" must be a map of name -> value', path: ['attributes'], hint }];
  return Object.entries(raw)
    .filter(([, v]) => !['string', 'number', 'boolean'].includes(typeof v))
    .map(([k]) => ({ message: `attribute "${k}" must be a string, number or boolean`, path: ['attributes', k], hint }));
}

/** Validation checks the select; this guards configs built through the engine API. */
function checkCarrierType(config: ConfigMap): void {
  const t = config.carrier_type;
  if (t === undefined || (CARRIER_TYPES as readonly unknown[]).includes(t)) return;
  throw new ConfigValueError(`carrier_type must be one of: ${CARRIER_TYPES.join(', ')} (got ${JSON.stringify(t)})`, {
    path: ['carrier_type'],
    hint: 'carrier_type: http',
  });
}

function fieldName(config: ConfigMap, key: string, fallback: string): string {
  const v = config[key];
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v !== 'string') throw new ConfigValueError(`"${key}" must be a string`, { path: [key] });
  return v;
}

/** Compiles the attributes map once; throws the located problems validation reports. */
function compileAttributes(spec: { config: ConfigMap }, ctx: StepBuildContext): CompiledValue | undefined {
  const [problem] = attributeProblems(spec.config);
  if (problem) throw new ConfigValueError(problem.message, { path: problem.path, hint: problem.hint });
  const raw = spec.config.attributes as ConfigMap | undefined;
  return raw && Object.keys(raw).length > 0 ? ctx.templates.compile(raw, ['attributes']) : undefined;
}

function resolveAttributes(compiled: CompiledValue | undefined, pc: PipelineContext): Attributes {
  if (!compiled) return {};
  const out: Attributes = {};
  for (const [k, v] of Object.entries(compiled.resolve(pc) as ConfigMap)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (v !== undefined && v !== null) out[k] = String(v);
  }
  return out;
}

/** The app's tracing, resolved at the first run (every module is initialised by then). */
function lazyTracing(ctx: StepBuildContext): () => Promise<AppTracing> {
  void loadOtelApi(); // start loading with the app, not the first request
  let resolved: Promise<AppTracing> | undefined;
  return () => {
    resolved ??= appTracing(ctx, SCOPE);
    return resolved;
  };
}

/** A carrier map (string values) at a pipeline path; other values are ignored, as upstream does. */
function readCarrier(pc: PipelineContext, field: string): Record<string, string> {
  const raw = lookupPath(pc, field);
  const out: Record<string, string> = {};
  if (isPlainMap(raw)) for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out[k] = v;
  return out;
}

export const traceStartSchema: TypeSchema = {
  description: 'Starts (and ends) a span, child of the active trace context',
  configFields: [
    { key: 'span_name', type: 'string', description: 'span name (default: the step name)' },
    attributesField,
  ],
  outputs: [
    { key: 'trace_id', type: 'string', description: '32 hex digits' },
    { key: 'span_id', type: 'string', description: '16 hex digits of the new span' },
  ],
  validate: attributeProblems,
};

export const createTraceStartStep: StepFactory = (spec, ctx) => {
  const spanName = fieldName(spec.config, 'span_name', spec.name);
  const attributes = compileAttributes(spec, ctx);
  const tracing = lazyTracing(ctx);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const { api, tracer } = await tracing();
      const span = tracer.startSpan(spanName, {
        kind: api.SpanKind.INTERNAL,
        attributes: resolveAttributes(attributes, pc),
      });
      span.end();
      const sc = span.spanContext();
      return { output: { trace_id: sc.traceId, span_id: sc.spanId } };
    },
  };
};

export const traceAnnotateSchema: TypeSchema = {
  description: 'Adds attributes and an optional event to the active span',
  configFields: [
    { key: 'event_name', type: 'string', description: 'event added with the attributes' },
    attributesField,
  ],
  outputs: [{ key: 'annotated', type: 'boolean' }],
  validate: attributeProblems,
};

export const createTraceAnnotateStep: StepFactory = (spec, ctx) => {
  const eventName = fieldName(spec.config, 'event_name', '');
  const attributes = compileAttributes(spec, ctx);
  const tracing = lazyTracing(ctx);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const { api } = await tracing();
      const span = api.trace.getActiveSpan();
      const attrs = resolveAttributes(attributes, pc);
      if (span) {
        span.setAttributes(attrs);
        if (eventName !== '') span.addEvent(eventName, attrs);
      }
      return { output: { annotated: true } };
    },
  };
};

export const traceInjectSchema: TypeSchema = {
  description: 'Writes the active trace context into a carrier map (outbound headers)',
  configFields: [
    { key: 'carrier_field', type: 'string', default: 'trace_headers', description: 'output key of the carrier map' },
    { key: 'carrier_type', type: 'select', options: [...CARRIER_TYPES], default: 'http' },
  ],
  outputs: [{ key: '<carrier_field>', type: 'map', description: 'traceparent, tracestate, baggage (w3c) or b3' }],
};

export const createTraceInjectStep: StepFactory = (spec, ctx) => {
  const carrierField = fieldName(spec.config, 'carrier_field', 'trace_headers');
  checkCarrierType(spec.config);
  const tracing = lazyTracing(ctx);
  return {
    name: spec.name,
    type: spec.type,
    async execute() {
      const { api, propagator } = await tracing();
      const headers: Record<string, string> = {};
      propagator.inject(api.context.active(), headers, api.defaultTextMapSetter);
      return { output: { [carrierField]: headers } };
    },
  };
};

export const traceExtractSchema: TypeSchema = {
  description: 'Reads trace context from a carrier map in the pipeline context',
  configFields: [
    {
      key: 'carrier_field',
      type: 'string',
      default: 'trace_headers',
      description: 'key (or dotted path, e.g. body.headers) of the carrier map',
    },
    { key: 'carrier_type', type: 'select', options: [...CARRIER_TYPES], default: 'http' },
  ],
  outputs: [
    { key: 'extracted_trace_id', type: 'string', description: 'all zeros when there is none' },
    { key: 'extracted_span_id', type: 'string' },
    { key: 'trace_valid', type: 'boolean' },
  ],
};

export const createTraceExtractStep: StepFactory = (spec, ctx) => {
  const carrierField = fieldName(spec.config, 'carrier_field', 'trace_headers');
  checkCarrierType(spec.config);
  const tracing = lazyTracing(ctx);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const { api, propagator } = await tracing();
      const extracted = propagator.extract(api.ROOT_CONTEXT, readCarrier(pc, carrierField), caseInsensitiveGetter);
      const sc = api.trace.getSpanContext(extracted) ?? api.INVALID_SPAN_CONTEXT;
      return {
        output: {
          extracted_trace_id: sc.traceId,
          extracted_span_id: sc.spanId,
          trace_valid: api.isSpanContextValid(sc),
        },
      };
    },
  };
};

export const traceLinkSchema: TypeSchema = {
  description: 'Starts a "trace.link" span linked to the trace context of a carrier (cross-service causality)',
  configFields: [
    {
      key: 'parent_field',
      type: 'string',
      default: 'parent_trace_headers',
      description: 'key (or dotted path) of the carrier map holding the parent traceparent',
    },
  ],
  outputs: [
    { key: 'linked', type: 'boolean' },
    { key: 'parent_trace_id', type: 'string' },
    { key: 'parent_span_id', type: 'string' },
    { key: 'reason', type: 'string', description: 'why nothing was linked' },
  ],
};

export const createTraceLinkStep: StepFactory = (spec, ctx) => {
  const parentField = fieldName(spec.config, 'parent_field', 'parent_trace_headers');
  const tracing = lazyTracing(ctx);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const { api, tracer, propagator } = await tracing();
      const carrier = readCarrier(pc, parentField);
      if (Object.keys(carrier).length === 0) return { output: { linked: false, reason: 'no parent headers' } };
      const parent = api.trace.getSpanContext(propagator.extract(api.ROOT_CONTEXT, carrier, caseInsensitiveGetter));
      if (!parent || !api.isSpanContextValid(parent))
        return { output: { linked: false, reason: 'invalid parent span context' } };
      tracer.startSpan('trace.link', { kind: api.SpanKind.INTERNAL, links: [{ context: parent }] }).end();
      return { output: { linked: true, parent_trace_id: parent.traceId, parent_span_id: parent.spanId } };
    },
  };
};
