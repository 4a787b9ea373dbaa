// timeline.service (upstream plugins/timeline + store/timeline_handler.go): the execution timeline and
// replay HTTP API over an event store (`event_store`, default "admin-event-store", else the app's
// first eventstore.service). Registered as `<name>`, `<name>.timeline` and `<name>.replay`.
//   GET  /api/v1/admin/executions[?pipeline&tenant_id&status&limit&offset] -> {executions, count}
//   GET  /api/v1/admin/executions/{id}/timeline -> the materialized run
//   GET  /api/v1/admin/executions/{id}/events[?type=] -> {events, count}
//   GET  /api/v1/admin/executions/{id}/logs -> 501 (no log querier, as upstream's module)
//   POST /api/v1/admin/executions/{id}/replay {mode: exact|modified} -> 201 {..., status: "queued"}
//   GET  /api/v1/admin/executions/{id}/replay -> {execution_id, replay_events, is_replay}
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext, ConfigMap, HttpHandler, Logger, Module, ModuleSpec, TypeSchema } from '../../engine/index.ts';
import { EventStoreCap, type EventStore } from '../eventstore/index.ts';
import { ConfigReader, isPlainObject, readJson, requestPath, writeJson } from '../support/index.ts';

export const timelineServiceSchema: TypeSchema = {
  description: 'Execution timeline and replay HTTP API over an eventstore.service',
  configFields: [
    {
      key: 'event_store',
      type: 'string',
      default: 'admin-event-store',
      description: 'eventstore.service module; when absent, the first one of the app',
    },
  ],
};

const API_PREFIX = '/api/v1/admin/executions';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TimelineServiceModule implements Module, HttpHandler {
  readonly type = 'timeline.service';
  private readonly eventStoreName: string;
  private store?: EventStore;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.eventStoreName = new ConfigReader(config).string('event_store') || 'admin-event-store';
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: this.type, module: this.name });
    const named = app.services.get(this.eventStoreName);
    this.store = EventStoreCap.is(named) ? named : app.services.find(EventStoreCap);
    // upstream leaves the module without handlers when there is no event store; say so here
    if (!this.store)
      this.logger.warn(`no event store ("${this.eventStoreName}" or any eventstore.service); the API answers 503`);
    app.services.register(`${this.name}.timeline`, this);
    app.services.register(`${this.name}.replay`, this);
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? requestPath(req), 'http://x');
    const path = url.pathname.replace(/\/+$/, '');
    const at = path.indexOf(API_PREFIX);
    const parts =
      at === -1
        ? undefined
        : path
            .slice(at + API_PREFIX.length)
            .split('/')
            .filter(Boolean);
    if (!parts || parts.length > 2 || parts.length === 1)
      return writeJson(res, 404, { error: `no timeline route ${method} ${url.pathname}` });
    const store = this.store;
    if (!store) return writeJson(res, 503, { error: 'no event store configured' });
    const q = url.searchParams;
    try {
      if (parts.length === 0) {
        if (method !== 'GET') return notAllowed(res, 'GET');
        const executions = store.listExecutions({
          pipeline: q.get('pipeline') ?? undefined,
          tenantId: q.get('tenant_id') ?? undefined,
          status: q.get('status') ?? undefined,
          limit: intParam(q.get('limit')),
          offset: intParam(q.get('offset')),
        });
        return writeJson(res, 200, { executions, count: executions.length });
      }
      const [id, view] = parts as [string, string];
      if (!['timeline', 'events', 'logs', 'replay'].includes(view))
        return writeJson(res, 404, { error: `no timeline route ${method} ${url.pathname}` });
      const allowed = view === 'replay' ? ['GET', 'POST'] : ['GET'];
      if (!allowed.includes(method)) return notAllowed(res, allowed.join(', '));
      if (view === 'logs') return writeJson(res, 501, { error: 'log querier not configured' });
      if (!UUID.test(id)) return writeJson(res, 400, { error: 'invalid execution ID' });
      if (view === 'timeline') {
        const timeline = store.timeline(id);
        return timeline ? writeJson(res, 200, timeline) : writeJson(res, 404, { error: 'execution not found' });
      }
      if (view === 'events') {
        const type = q.get('type');
        const events = store.events(id).filter((e) => !type || e.event_type === type);
        return writeJson(res, 200, { events, count: events.length });
      }
      if (method === 'GET') {
        const replayEvents = store
          .events(id)
          .filter((e) => e.event_type.startsWith('execution.replay'))
          .map((e) => ({ event_type: e.event_type, data: e.event_data, created_at: e.created_at }));
        return writeJson(res, 200, {
          execution_id: id,
          replay_events: replayEvents,
          is_replay: replayEvents.length > 0,
        });
      }
      return await this.replay(req, res, store, id);
    } catch (err) {
      this.logger?.error({ err: (err as Error).message, path }, 'timeline request failed');
      writeJson(res, 500, { error: 'internal server error' });
    }
  }

  /** Upstream's module has no replay function: the replay is recorded as queued, not run. */
  private async replay(req: IncomingMessage, res: ServerResponse, store: EventStore, id: string): Promise<void> {
    const body = await readJson(req);
    if (!body.ok)
      return writeJson(res, body.status, { error: body.status === 400 ? 'invalid request body' : body.error });
    if (body.value !== undefined && !isPlainObject(body.value))
      return writeJson(res, 400, { error: 'invalid request body' });
    const request = (body.value ?? {}) as ConfigMap;
    const mode = typeof request.mode === 'string' && request.mode !== '' ? request.mode : 'exact';
    if (mode !== 'exact' && mode !== 'modified')
      return writeJson(res, 400, { error: "mode must be 'exact' or 'modified'" });
    if (!store.timeline(id)) return writeJson(res, 404, { error: 'original execution not found' });
    const newId = randomUUID();
    store.append(newId, 'execution.replay', { original_execution_id: id, mode, type: 'replay' });
    writeJson(res, 201, {
      original_execution_id: id,
      new_execution_id: newId,
      type: 'replay',
      mode,
      status: 'queued',
    });
  }
}

function intParam(v: string | null): number | undefined {
  const n = v === null ? NaN : Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function notAllowed(res: ServerResponse, allow: string): void {
  writeJson(res, 405, { error: `method not allowed; use ${allow}` }, { Allow: allow });
}

export function createTimelineService(spec: ModuleSpec): TimelineServiceModule {
  return new TimelineServiceModule(spec.name, spec.config);
}
