// dlq.service (upstream module/dlq_service.go + store/dlq_handler.go): a dead letter store with the
// upstream HTTP API, registered as `<name>` and `<name>.admin` (the HTTP handler) and `<name>.store`.
// Routes (mount them in workflows.http, e.g. GET /api/v1/dlq and {GET,POST,DELETE} /api/v1/dlq/{rest...}):
//   GET /api/v1/dlq[?pipeline&step&status&error_type&limit=50&offset]  -> {entries, total, limit, offset}
//   GET /api/v1/dlq/stats -> {total, by_status};  GET /api/v1/dlq/{id}
//   POST /api/v1/dlq/{id}/retry|discard|resolve -> {status};  DELETE /api/v1/dlq/purge[?older_than_hours=720]
// Beyond upstream (whose store nothing in the engine fills): `topic` subscribes the store to a DLQ
// topic (on `broker`, else the engine event bus), so step.dlq_send's dead letters land in it, and a
// retry republishes the entry's original event to its original topic.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  MessageBrokerCap,
  type AppContext,
  type ConfigMap,
  type HttpHandler,
  type Logger,
  type MessageBroker,
  type Module,
  type ModuleSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { SqliteDatabase } from '../storage/index.ts';
import { ConfigReader, isPlainObject, requestPath, resolveFrom, writeJson } from '../support/index.ts';
import { DLQ_STATUSES, DlqStore, type DlqEntry } from './dlq-store.ts';

export const dlqServiceSchema: TypeSchema = {
  description: 'Dead letter queue: a store of failed messages with the /api/v1/dlq HTTP API',
  configFields: [
    {
      key: 'max_retries',
      type: 'number',
      default: 3,
      description: 'Recorded on each entry (not enforced, as upstream)',
    },
    { key: 'retention_days', type: 'number', default: 30, description: 'Reported only (not applied, as upstream)' },
    { key: 'db_path', type: 'filepath', description: 'SQLite file (relative: the data dir); default in memory' },
    { key: 'topic', type: 'string', description: "DLQ topic whose messages become entries (e.g. step.dlq_send's)" },
    { key: 'broker', type: 'string', description: 'Broker module of `topic`; default the engine event bus' },
  ],
  validate(config) {
    const problems: Array<{ message: string; path: string[] }> = [];
    for (const key of ['max_retries', 'retention_days']) {
      const v = config[key];
      if (v !== undefined && v !== null && !(Number.isInteger(Number(v)) && Number(v) >= 0))
        problems.push({ message: `"${key}" must be a whole number >= 0`, path: [key] });
    }
    if (config.broker && !config.topic)
      problems.push({ message: '"broker" needs a "topic" to subscribe to', path: ['broker'] });
    return problems;
  },
};

const API_PREFIX = '/api/v1/dlq';
const DEFAULT_LIMIT = 50;
const DEFAULT_PURGE_HOURS = 720;

export class DlqServiceModule implements Module, HttpHandler {
  readonly type = 'dlq.service';
  readonly maxRetries: number;
  readonly retentionDays: number;
  private readonly dbPath?: string;
  private readonly topic?: string;
  private readonly brokerName?: string;
  private db?: SqliteDatabase;
  private _store?: DlqStore;
  private app?: AppContext;
  private logger?: Logger;
  private unsubscribe?: () => void;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const c = new ConfigReader(config);
    this.maxRetries = c.number('max_retries', 3)!;
    this.retentionDays = c.number('retention_days', 30)!;
    this.dbPath = c.string('db_path') || undefined;
    this.topic = c.string('topic') || undefined;
    this.brokerName = c.string('broker') || undefined;
  }

  init(app: AppContext): void {
    this.app = app;
    this.logger = app.logger.child({ component: this.type, module: this.name });
    this.db = new SqliteDatabase(this.dbPath ? resolveFrom(app.dataDir, this.dbPath) : ':memory:');
    this._store = new DlqStore(this.db);
    app.services.register(`${this.name}.admin`, this);
    app.services.register(`${this.name}.store`, this._store);
    if (this.brokerName) this.broker(); // a missing or wrong broker is an init error, not a silent no-op
  }

  start(app: AppContext): void {
    if (!this.topic) return;
    const topic = this.topic;
    const broker = this.broker();
    if (broker) {
      this.unsubscribe = broker.subscribe(topic, (_t, payload) => {
        this.addMessage(topic, parse(payload.toString('utf8')));
      });
    } else {
      const listener = (event: ConfigMap) => this.addMessage(topic, event);
      app.events.on(topic, listener);
      this.unsubscribe = () => app.events.off(topic, listener);
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.db?.close();
  }

  get store(): DlqStore {
    if (!this._store) throw new Error(`dlq.service "${this.name}" used before init`);
    return this._store;
  }

  /** A dead letter as step.dlq_send sends it ({payload, error, original_topic, sent_at}) or any message. */
  addMessage(topic: string, message: unknown): DlqEntry {
    const envelope = isPlainObject(message) && 'payload' in message ? message : undefined;
    const metadata: Record<string, unknown> = { dlq_topic: topic };
    if (envelope?.original_topic) metadata.original_topic = envelope.original_topic;
    if (envelope?.sent_at) metadata.sent_at = envelope.sent_at;
    const entry = this.store.add({
      original_event: envelope ? envelope.payload : message,
      error_message: typeof envelope?.error === 'string' ? envelope.error : '',
      pipeline_name: typeof envelope?.pipeline === 'string' ? envelope.pipeline : '',
      step_name: typeof envelope?.step === 'string' ? envelope.step : '',
      max_retries: this.maxRetries,
      metadata,
    });
    this.logger?.info({ id: entry.id, topic }, 'dead letter stored');
    return entry;
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? requestPath(req), 'http://x');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    try {
      const at = path.indexOf(API_PREFIX);
      const parts =
        at === -1
          ? undefined
          : path
              .slice(at + API_PREFIX.length)
              .split('/')
              .filter(Boolean);
      if (!parts) return writeJson(res, 404, { error: `no DLQ route ${method} ${path}` });
      if (parts.length === 0) {
        if (method !== 'GET') return notAllowed(res, 'GET');
        const filter = {
          pipeline: q.get('pipeline') ?? undefined,
          step: q.get('step') ?? undefined,
          status: q.get('status') ?? undefined,
          errorType: q.get('error_type') ?? undefined,
        };
        const limit = positiveInt(q.get('limit')) || DEFAULT_LIMIT;
        const offset = positiveInt(q.get('offset'));
        const entries = this.store.list({ ...filter, limit, offset });
        return writeJson(res, 200, { entries, total: this.store.count(filter), limit, offset });
      }
      if (parts.length === 1 && parts[0] === 'stats') {
        if (method !== 'GET') return notAllowed(res, 'GET');
        const byStatus = Object.fromEntries(DLQ_STATUSES.map((s) => [s, this.store.count({ status: s })]));
        return writeJson(res, 200, { total: this.store.count(), by_status: byStatus });
      }
      if (parts.length === 1 && parts[0] === 'purge') {
        if (method !== 'DELETE') return notAllowed(res, 'DELETE');
        const hours = positiveInt(q.get('older_than_hours')) || DEFAULT_PURGE_HOURS;
        return writeJson(res, 200, { purged: this.store.purge(hours * 3_600_000), older_than_hours: hours });
      }
      if (parts.length === 1) {
        if (method !== 'GET') return notAllowed(res, 'GET');
        if (!isUuid(parts[0])) return writeJson(res, 400, { error: 'invalid id' });
        const entry = this.store.get(parts[0]);
        return entry ? writeJson(res, 200, entry) : writeJson(res, 404, { error: 'entry not found' });
      }
      if (parts.length === 2 && ['retry', 'discard', 'resolve'].includes(parts[1]!)) {
        if (method !== 'POST') return notAllowed(res, 'POST');
        const [id, action] = parts as [string, 'retry' | 'discard' | 'resolve'];
        if (!isUuid(id)) return writeJson(res, 400, { error: 'invalid id' });
        if (!this.store[action](id)) return writeJson(res, 404, { error: 'entry not found' });
        if (action === 'retry') await this.republish(this.store.get(id)!);
        const status = { retry: 'retrying', discard: 'discarded', resolve: 'resolved' }[action];
        return writeJson(res, 200, { status });
      }
      writeJson(res, 404, { error: `no DLQ route ${method} ${path}` });
    } catch (err) {
      this.logger?.error({ err: (err as Error).message, path }, 'dlq request failed');
      writeJson(res, 500, { error: 'internal error' });
    }
  }

  /** A retried entry goes back to the topic it came from, when the dead letter recorded one. */
  private async republish(entry: DlqEntry): Promise<void> {
    const target = entry.metadata?.original_topic;
    if (typeof target !== 'string' || target === '' || !this.topic) return;
    const payload = isPlainObject(entry.original_event) ? entry.original_event : { message: entry.original_event };
    const broker = this.broker();
    if (broker) await broker.publish(target, payload);
    else this.app?.events.emit(target, payload);
  }

  private broker(): MessageBroker | undefined {
    if (!this.brokerName) return undefined;
    const svc = this.app?.services.get(this.brokerName);
    if (!MessageBrokerCap.is(svc))
      throw new Error(`dlq.service "${this.name}": broker "${this.brokerName}" is not a message broker module`);
    return svc;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function positiveInt(v: string | null): number {
  const n = v === null ? NaN : Number(v);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

function notAllowed(res: ServerResponse, allow: string): void {
  writeJson(res, 405, { error: `method not allowed; use ${allow}` }, { Allow: allow });
}

export function createDlqService(spec: ModuleSpec): DlqServiceModule {
  return new DlqServiceModule(spec.name, spec.config);
}
