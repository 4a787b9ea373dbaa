// A stand-in for an OpenTelemetry Collector (which cannot run here): an OTLP/HTTP receiver on
// 127.0.0.1:0 that accepts JSON-encoded ExportTraceServiceRequest POSTs on /v1/traces, as the
// collector's otlphttp receiver does, and keeps the spans flattened for assertions.
import { serve } from './http.ts';

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  events: Array<{ name: string; attributes: Record<string, string | number | boolean> }>;
  links: Array<{ traceId: string; spanId: string }>;
  status: { code?: number; message?: string };
  scope: string;
  resource: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Export requests received (each batch is one). */
  requests: number;
  close(): Promise<void>;
}

function value(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  return v.doubleValue ?? '';
}

function attrs(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver: OtlpReceiver = { url: '', spans: [], requests: 0, close: async () => {} };
  const server = await serve(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/traces' || !req.headers['content-type']?.includes('json')) {
      res.writeHead(415).end('JSON OTLP on POST /v1/traces only');
      return;
    }
    receiver.requests++;
    // biome-ignore lint/suspicious/noExplicitAny: the OTLP JSON envelope, read field by field below
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as any;
    for (const rs of body.resourceSpans ?? []) {
      const resource = attrs(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          receiver.spans.push({
            name: s.name,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            kind: s.kind,
            attributes: attrs(s.attributes),
            events: (s.events ?? []).map((e: { name: string; attributes?: KeyValue[] }) => ({
              name: e.name,
              attributes: attrs(e.attributes),
            })),
            links: (s.links ?? []).map((l: { traceId: string; spanId: string }) => ({
              traceId: l.traceId,
              spanId: l.spanId,
            })),
            status: s.status ?? {},
            scope: ss.scope?.name ?? '',
            resource,
          });
        }
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
  receiver.url = server.url;
  receiver.close = server.close;
  return receiver;
}
