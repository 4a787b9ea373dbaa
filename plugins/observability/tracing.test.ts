// OpenTelemetry tracing over real HTTP: requests through http.middleware.otel and the step.trace_*
// steps, spans exported over OTLP/HTTP to a local receiver (a collector stand-in) and asserted there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, Engine, silentLogger, validateConfigText, type Logger } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { pipelineStepsPlugin } from '../pipelinesteps/index.ts';
import { freePort, requestJson, startOtlpReceiver, type ReceivedSpan } from '../testing/index.ts';
import { observabilityPlugin, type OTelTracing } from './index.ts';

const plugins = [httpPlugin, pipelineStepsPlugin, observabilityPlugin];
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const MSG_TRACE = '0af7651916cd43dd8448eb211c80319c';
const MSG_SPAN = 'b7ad6b7169203331';

async function startApp(yaml: string, logger: Logger = silentLogger()) {
  const engine = await Engine.fromText(yaml, { plugins, logger, httpAddress: '127.0.0.1:0' });
  await engine.start();
  return { engine, url: `http://127.0.0.1:${engine.address()!.port}` };
}

function capturingLogger(): { logger: Logger; lines: () => Array<{ level: number; msg: string }> } {
  const out: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      out.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  return { logger, lines: () => out.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l)) };
}

const modules = (endpoint: string) => `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: otel, type: observability.otel, config: { endpoint: "${endpoint}", serviceName: orders } }
  - { name: tracing, type: http.middleware.otel, config: { serverName: orders-http } }
`;

const orderPipeline = `
pipelines:
  order:
    trigger: { type: http, config: { method: POST, path: "/orders/{id}" } }
    steps:
      - name: start
        type: step.trace_start
        config: { span_name: load-order, attributes: { order.id: "{{ .id }}", env: test, retries: 2 } }
      - name: annotate
        type: step.trace_annotate
        config: { event_name: order.loaded, attributes: { order.id: "{{ .id }}" } }
      - { name: inject, type: step.trace_inject, config: { carrier_field: outbound } }
      - { name: extract, type: step.trace_extract, config: { carrier_field: body.message_headers } }
      - { name: link, type: step.trace_link, config: { parent_field: body.message_headers } }
      - { name: respond, type: step.json_response, config: { body_from: steps } }
  failing:
    trigger: { type: http, config: { method: GET, path: /unavailable } }
    steps:
      - { name: respond, type: step.json_response, config: { status: 503, body: { error: down } } }
`;

const byName = (spans: ReceivedSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one span "${name}" among ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
};

test('a traced request continues the incoming trace; trace steps add children, links, events, headers', async () => {
  const receiver = await startOtlpReceiver();
  const { engine, url } = await startApp(modules(receiver.url.replace('http://', '')) + orderPipeline);
  let body: Record<string, Record<string, unknown>>;
  try {
    const res = await requestJson(`${url}/orders/42`, {
      method: 'POST',
      headers: { traceparent: `00-${TRACE}-${PARENT}-01`, baggage: 'tenant=acme', 'user-agent': 'trace-test' },
      body: { message_headers: { Traceparent: `00-${MSG_TRACE}-${MSG_SPAN}-01` } },
    });
    assert.equal(res.status, 200, res.text);
    body = res.json;
  } finally {
    await engine.stop(); // shuts the provider down: every span is exported
    await receiver.close();
  }

  const server = byName(receiver.spans, 'orders-http');
  assert.equal(server.kind, 2, 'SERVER');
  assert.equal(server.traceId, TRACE, 'continues the incoming trace');
  assert.equal(server.parentSpanId, PARENT);
  assert.equal(server.resource['service.name'], 'orders');
  assert.deepEqual(
    {
      method: server.attributes['http.request.method'],
      path: server.attributes['url.path'],
      route: server.attributes['http.route'],
      status: server.attributes['http.response.status_code'],
      ua: server.attributes['user_agent.original'],
      order: server.attributes['order.id'],
    },
    { method: 'POST', path: '/orders/42', route: '/orders/{id}', status: 200, ua: 'trace-test', order: '42' },
  );
  assert.deepEqual(server.events, [{ name: 'order.loaded', attributes: { 'order.id': '42' } }]);
  assert.equal(server.status.code ?? 0, 0, 'unset status on success');

  const start = byName(receiver.spans, 'load-order');
  assert.equal(start.kind, 1, 'INTERNAL');
  assert.equal(start.traceId, TRACE);
  assert.equal(start.parentSpanId, server.spanId, 'child of the request span');
  assert.deepEqual(start.attributes, { 'order.id': '42', env: 'test', retries: 2 });
  assert.deepEqual(body.start, { trace_id: TRACE, span_id: start.spanId });

  const link = byName(receiver.spans, 'trace.link');
  assert.equal(link.parentSpanId, server.spanId);
  assert.deepEqual(link.links, [{ traceId: MSG_TRACE, spanId: MSG_SPAN }]);
  assert.deepEqual(body.link, { linked: true, parent_trace_id: MSG_TRACE, parent_span_id: MSG_SPAN });

  assert.deepEqual(body.inject, {
    outbound: { traceparent: `00-${TRACE}-${server.spanId}-01`, baggage: 'tenant=acme' },
  });
  assert.deepEqual(body.extract, { extracted_trace_id: MSG_TRACE, extracted_span_id: MSG_SPAN, trace_valid: true });
  assert.deepEqual(body.annotate, { annotated: true });
});

test('a request without trace context starts a new trace; a 5xx response marks the span as an error', async () => {
  const receiver = await startOtlpReceiver();
  const { engine, url } = await startApp(modules(receiver.url) + orderPipeline);
  try {
    assert.equal((await fetch(`${url}/unavailable`)).status, 503);
    assert.equal((await fetch(`${url}/nowhere`)).status, 404);
  } finally {
    await engine.stop();
    await receiver.close();
  }
  assert.equal(receiver.spans.length, 2);
  for (const span of receiver.spans) {
    assert.equal(span.parentSpanId, '', 'a root span');
    assert.match(span.traceId, /^[0-9a-f]{32}$/);
  }
  const [failed, missing] = receiver.spans.sort((a, b) =>
    String(a.attributes['url.path']).localeCompare(String(b.attributes['url.path'])),
  );
  assert.equal(missing!.attributes['url.path'], '/unavailable');
  assert.equal(missing!.attributes['http.response.status_code'], 503);
  assert.equal(missing!.status.code, 2, 'ERROR');
  assert.equal(failed!.attributes['http.response.status_code'], 404);
  assert.equal(failed!.status.code ?? 0, 0, 'a 4xx is not a server error');
  assert.notEqual(failed!.traceId, missing!.traceId);
});

test('an unreachable collector never fails a request and is logged once, clearly', async () => {
  const port = await freePort();
  const { logger, lines } = capturingLogger();
  const { engine, url } = await startApp(modules(`127.0.0.1:${port}`) + orderPipeline, logger);
  const otel = engine.app.services.get('otel') as OTelTracing;
  try {
    for (let i = 0; i < 2; i++) {
      const res = await requestJson(`${url}/orders/${i}`, { method: 'POST', body: {} });
      assert.equal(res.status, 200);
      await otel.flush(); // one failed export per request
    }
  } finally {
    await engine.stop();
  }
  const warnings = lines().filter((l) => l.level === 40 && l.msg.includes('cannot export'));
  assert.equal(warnings.length, 1, JSON.stringify(lines()));
  assert.match(warnings[0]!.msg, new RegExp(`observability.otel "otel" \\(http://127.0.0.1:${port}/v1/traces\\)`));
  assert.match(warnings[0]!.msg, /requests are not affected/);
});

test('without a tracer provider the steps still read and write trace context (no-op spans)', async () => {
  const { engine, url } = await startApp(`
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
pipelines:
  relay:
    trigger: { type: http, config: { method: POST, path: /relay } }
    steps:
      - { name: start, type: step.trace_start }
      - { name: extract, type: step.trace_extract, config: { carrier_field: body.trace_headers } }
      - { name: link, type: step.trace_link, config: { parent_field: body.trace_headers } }
      - { name: bad, type: step.trace_link, config: { parent_field: body.bad } }
      - { name: missing, type: step.trace_link }
      - { name: respond, type: step.json_response, config: { body_from: steps } }
`);
  try {
    const res = await requestJson(`${url}/relay`, {
      method: 'POST',
      body: { trace_headers: { traceparent: `00-${MSG_TRACE}-${MSG_SPAN}-01` }, bad: { traceparent: 'invalid-value' } },
    });
    assert.equal(res.status, 200, res.text);
    // no observability.otel and no middleware: a no-op span in a fresh context, as upstream's default
    assert.deepEqual(res.json.start, { trace_id: '0'.repeat(32), span_id: '0'.repeat(16) });
    assert.deepEqual(res.json.extract, {
      extracted_trace_id: MSG_TRACE,
      extracted_span_id: MSG_SPAN,
      trace_valid: true,
    });
    assert.deepEqual(res.json.link, { linked: true, parent_trace_id: MSG_TRACE, parent_span_id: MSG_SPAN });
    assert.deepEqual(res.json.bad, { linked: false, reason: 'invalid parent span context' });
    assert.deepEqual(res.json.missing, { linked: false, reason: 'no parent headers' });
  } finally {
    await engine.stop();
  }
});

test('tracing.propagation b3 reads and writes B3 headers', async () => {
  const receiver = await startOtlpReceiver();
  const { engine, url } = await startApp(`${modules(receiver.url)}
  - { name: propagation, type: tracing.propagation, config: { format: b3 } }
pipelines:
  hop:
    trigger: { type: http, config: { method: POST, path: /hop } }
    steps:
      - { name: inject, type: step.trace_inject }
      - { name: extract, type: step.trace_extract, config: { carrier_field: body.headers } }
      - { name: respond, type: step.json_response, config: { body_from: steps } }
`);
  let body: Record<string, Record<string, unknown>>;
  try {
    const res = await requestJson(`${url}/hop`, {
      method: 'POST',
      headers: { 'X-B3-TraceId': TRACE, 'X-B3-SpanId': PARENT, 'X-B3-Sampled': '1' },
      body: { headers: { b3: `${MSG_TRACE}-${MSG_SPAN}-1` } },
    });
    assert.equal(res.status, 200, res.text);
    body = res.json;
  } finally {
    await engine.stop();
    await receiver.close();
  }
  const server = byName(receiver.spans, 'orders-http');
  assert.equal(server.traceId, TRACE);
  assert.equal(server.parentSpanId, PARENT);
  assert.deepEqual(body.inject, { trace_headers: { b3: `${TRACE}-${server.spanId}-1` } });
  assert.deepEqual(body.extract, { extracted_trace_id: MSG_TRACE, extracted_span_id: MSG_SPAN, trace_valid: true });
});

test('bad tracing config is a located validation error', async () => {
  const result = validateConfigText(
    `
modules:
  - { name: otel, type: observability.otel, config: { endpoint: "ftp://collector:4318" } }
  - { name: propagation, type: tracing.propagation, config: { format: jaeger } }
pipelines:
  p:
    steps:
      - { name: start, type: step.trace_start, config: { attributes: { order: { id: 1 } } } }
      - { name: inject, type: step.trace_inject, config: { carrier_type: sqs } }
`,
    { plugins, file: 'app.yaml' },
  );
  const issues = [...result.errors, ...result.warnings].map((i) => `${i.jsonPath}: ${i.message}`);
  const expect = (path: string, message: RegExp) =>
    assert.ok(
      issues.some((i) => i.startsWith(`${path}:`) && message.test(i)),
      `expected ${path} ~ ${message}; got\n${issues.join('\n')}`,
    );
  expect('modules[0].config.endpoint', /must be http or https/);
  expect('modules[1].config.format', /jaeger/);
  expect('pipelines.p.steps[0].config.attributes.order', /string, number or boolean/);
  expect('pipelines.p.steps[1].config.carrier_type', /sqs/);
});

test("http.middleware.otel named in a route's middlewares traces that route", async () => {
  const receiver = await startOtlpReceiver();
  const { engine, url } = await startApp(`${modules(receiver.url)}
pipelines:
  ping:
    trigger: { type: http, config: { method: GET, path: /ping, middlewares: [tracing] } }
    steps:
      - { name: inject, type: step.trace_inject }
      - { name: respond, type: step.json_response, config: { body_from: steps.inject } }
`);
  let headers: Record<string, Record<string, string>>;
  try {
    const res = await requestJson(`${url}/ping`, { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } });
    assert.equal(res.status, 200, res.text);
    headers = res.json;
  } finally {
    await engine.stop();
    await receiver.close();
  }
  // global and per-route: two server spans, each continuing the incoming context as upstream's
  // nested otelhttp handlers do; the steps see the inner (route) one
  const spans = receiver.spans.filter((s) => s.name === 'orders-http');
  assert.deepEqual(
    spans.map((s) => [s.traceId, s.parentSpanId]),
    [
      [TRACE, PARENT],
      [TRACE, PARENT],
    ],
  );
  const injected = /^00-[0-9a-f]{32}-([0-9a-f]{16})-01$/.exec(headers.trace_headers!.traceparent!)?.[1];
  assert.ok(injected && spans.some((s) => s.spanId === injected), `${injected} is one of the request spans`);
});
