// api.handler: a generic REST resource (UPSTREAM.md 2.2 "API"). Routes mapped to it by
// workflows.http answer:
//   GET  .../{resource}            list             POST .../{resource}          create (201, uuid id)
//   GET  .../{resource}/{id}       one              PUT  .../{resource}/{id}     replace data
//   DELETE .../{resource}/{id}     204              POST|PUT .../{id}/transition  state machine transition
//   POST .../{id}/<action>         transition named by transitionMap or by the definition
// With workflowType + workflowEngine each resource gets a state machine instance; with a
// persistence.store in the app, resources are written through and reloaded at start.
import { randomUUID } from 'node:crypto';
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
import { findPersistenceStore } from '../storage/index.ts';
import {
  StateConnectorCap,
  StateMachineEngineCap,
  TransitionError,
  transitionErrorStatus,
  type StateMachineEngine,
  type WorkflowInstance,
} from '../statemachine/index.ts';
import {
  ConfigReader,
  isPlainObject,
  readJson,
  readSeedFile,
  requestPath,
  resolveFrom,
  writeJson,
} from '../support/index.ts';
import { ResourceStore, type RestResource } from './resource-store.ts';

export const apiHandlerSchema: TypeSchema = {
  description: 'Generic REST resource with optional state machine per resource and write-through persistence',
  configFields: [
    {
      key: 'resourceName',
      type: 'string',
      description: 'Resource name (persistence key, event topic prefix); default the module name',
    },
    {
      key: 'workflowType',
      type: 'string',
      description: 'State machine definition for each resource (default: the first definition)',
    },
    {
      key: 'workflowEngine',
      type: 'string',
      description: 'statemachine.engine module (default: workflows.statemachine.engine)',
    },
    { key: 'initialTransition', type: 'string', description: 'Transition fired right after a resource is created' },
    { key: 'instanceIDPrefix', type: 'string', description: 'Prefix of state machine instance ids' },
    { key: 'instanceIDField', type: 'string', default: 'id', description: 'Data field whose value is the instance id' },
    { key: 'seedFile', type: 'filepath', description: 'JSON records loaded at start, relative to the config file' },
    { key: 'sourceResourceName', type: 'string', description: 'Read-only view over another resource type' },
    { key: 'stateFilter', type: 'string', description: 'List only resources in this state' },
    { key: 'transitionMap', type: 'map', description: 'Sub-action name -> transition name' },
    {
      key: 'persistence',
      type: 'string',
      description: 'persistence.store module (default: "persistence" or the first one)',
    },
    {
      key: 'publishEvents',
      type: 'boolean',
      description: 'Publish <resource>.created|updated|deleted to <resource>-events',
    },
    {
      key: 'broker',
      type: 'string',
      description: 'Broker for publishEvents (default: a service named message-broker, else the first broker)',
    },
  ],
};

const MAX_BODY = 1 << 20;

export class ApiHandler implements Module, HttpHandler {
  readonly type = 'api.handler';
  private readonly config: ConfigReader;
  private readonly resourceName: string;
  private workflowType?: string;
  private workflowEngine?: string;
  private readonly transitionMap: Record<string, string>;
  private store!: ResourceStore;
  private app?: AppContext;
  private logger?: Logger;
  private broker?: MessageBroker;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.config = new ConfigReader(config);
    this.resourceName = this.config.string('resourceName') || name;
    this.workflowType = this.config.string('workflowType') || undefined;
    this.workflowEngine = this.config.string('workflowEngine') || undefined;
    const map = this.config.map('transitionMap') ?? {};
    this.transitionMap = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, String(v)]));
  }

  init(app: AppContext): void {
    this.app = app;
    this.logger = app.logger.child({ component: 'api.handler', module: this.name });
    // Upstream defaults: the statemachine section's first definition and its engine.
    const sm = app.config.workflows?.statemachine;
    if (isPlainObject(sm)) {
      const first = Array.isArray(sm.definitions) ? sm.definitions[0] : undefined;
      if (!this.workflowType && isPlainObject(first) && typeof first.name === 'string') this.workflowType = first.name;
      if (!this.workflowEngine && typeof sm.engine === 'string') this.workflowEngine = sm.engine;
    }
    const source = this.config.string('sourceResourceName') || this.resourceName;
    this.store = new ResourceStore(source, findPersistenceStore(app, this.config.string('persistence')));
    const brokerName = this.config.string('broker');
    if (brokerName || this.config.boolean('publishEvents', false)) {
      const named = app.services.get(brokerName ?? 'message-broker');
      this.broker = MessageBrokerCap.is(named) ? named : app.services.find(MessageBrokerCap);
    } else {
      const conventional = app.services.get('message-broker');
      if (MessageBrokerCap.is(conventional)) this.broker = conventional;
    }
  }

  async start(app: AppContext): Promise<void> {
    const loaded = this.store.load();
    const seedFile = this.config.string('seedFile');
    if (!seedFile) return;
    const path = resolveFrom(app.configDir, seedFile);
    const records = await readSeedFile(path);
    if (!records) {
      this.logger?.warn({ seedFile: path }, 'seed file not found; starting without seed data');
      return;
    }
    let seeded = 0;
    for (const record of records) {
      const id = record.id ?? (typeof record.data.id === 'string' ? record.data.id : randomUUID());
      if (this.store.has(id)) continue; // persisted data wins over seeds
      this.store.put({
        id,
        data: { ...record.data, id },
        state: record.state ?? stringField(record.data, 'state'),
        lastUpdate: new Date().toISOString(),
      });
      seeded++;
    }
    this.logger?.debug({ loaded, seeded }, 'resources ready');
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> {
    const segments = requestPath(req).split('/').filter(Boolean);
    const id = params.id ? decodeURIComponent(params.id) : undefined;
    const last = segments.at(-1);
    const method = req.method ?? 'GET';
    const action = id !== undefined && last !== undefined && last !== id && last !== params.id ? last : undefined;

    if (action === 'transition' && (method === 'POST' || method === 'PUT')) return this.transitionRoute(req, res, id!);
    if (action !== undefined && method === 'POST') return this.subActionRoute(req, res, id!, action);
    if (action !== undefined) return writeJson(res, 404, { error: `unknown sub-resource "${action}"` });
    if (method === 'GET' && id !== undefined) return this.getOne(res, id);
    if (method === 'GET') return this.list(res);
    if (method === 'POST') return this.create(req, res, id);
    if (method === 'PUT' && id !== undefined) return this.update(req, res, id);
    if (method === 'DELETE' && id !== undefined) return this.remove(res, id);
    writeJson(
      res,
      405,
      { error: 'Method not allowed or invalid path' },
      { Allow: id === undefined ? 'GET, POST' : 'GET, PUT, DELETE' },
    );
  }

  private list(res: ServerResponse): void {
    this.store.refresh();
    const stateFilter = this.config.string('stateFilter');
    const items = this.store
      .list()
      .map((r) => this.withLiveState(r))
      .filter((r) => !stateFilter || (r.state ?? stringField(r.data, 'state')) === stateFilter);
    writeJson(res, 200, items);
  }

  private getOne(res: ServerResponse, id: string): void {
    this.store.refresh();
    const resource = this.store.get(id);
    if (!resource) return writeJson(res, 404, { error: 'Resource not found' });
    writeJson(res, 200, this.withLiveState(resource));
  }

  private async create(req: IncomingMessage, res: ServerResponse, idFromPath?: string): Promise<void> {
    if (this.isView())
      return writeJson(res, 405, { error: `${this.name} is a read-only view of "${this.store.resourceType}"` });
    const body = await this.readObject(req, res);
    if (!body) return;
    const id = idFromPath ?? (body.id !== undefined && body.id !== '' ? String(body.id) : randomUUID());
    if (this.store.has(id)) return writeJson(res, 409, { error: `resource "${id}" already exists`, id });
    const now = new Date().toISOString();
    let resource: RestResource = {
      id,
      data: { ...body, id },
      state: stringField(body, 'state') ?? 'new',
      lastUpdate: now,
    };
    const engine = this.workflowType ? this.engine() : undefined;
    let instance: WorkflowInstance | undefined;
    if (engine && this.workflowType) {
      try {
        instance = engine.createInstance(this.workflowType, this.instanceId(id, resource.data), resource.data);
        resource.state = instance.currentState;
      } catch (err) {
        return writeJson(res, transitionErrorStatus(err), {
          error: `could not create workflow instance: ${(err as Error).message}`,
          id,
        });
      }
    }
    resource = this.store.put(resource);
    const initial = this.config.string('initialTransition');
    if (engine && instance && initial) {
      try {
        const after = await engine.triggerTransition(instance.id, initial, resource.data);
        resource = this.store.put({ ...resource, state: after.currentState, lastUpdate: after.lastUpdated });
      } catch (err) {
        this.logger?.warn(
          { id, transition: initial, err: (err as Error).message },
          'initial transition failed; resource kept in its initial state',
        );
      }
    }
    this.publish('created', { resource });
    writeJson(res, 201, resource);
  }

  private async update(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    if (this.isView())
      return writeJson(res, 405, { error: `${this.name} is a read-only view of "${this.store.resourceType}"` });
    const existing = this.store.get(id);
    if (!existing) return writeJson(res, 404, { error: 'Resource not found' });
    const body = await this.readObject(req, res);
    if (!body) return;
    const updated = this.store.put({ ...existing, data: { ...body, id }, lastUpdate: new Date().toISOString() });
    this.publish('updated', { resource: updated });
    writeJson(res, 200, updated);
  }

  private remove(res: ServerResponse, id: string): void {
    if (this.isView())
      return writeJson(res, 405, { error: `${this.name} is a read-only view of "${this.store.resourceType}"` });
    if (!this.store.delete(id)) return writeJson(res, 404, { error: 'Resource not found' });
    this.publish('deleted', { resourceId: id });
    res.writeHead(204).end();
  }

  private async transitionRoute(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const body = await this.readObject(req, res);
    if (!body) return;
    const transition = stringField(body, 'transition');
    if (!transition)
      return writeJson(res, 400, {
        error: 'Transition name is required (body: {"transition": "<name>", "data": {...}})',
      });
    const data = isPlainObject(body.data) ? body.data : {};
    await this.transition(res, id, transition, data, stringField(body, 'workflowType'));
  }

  private async subActionRoute(req: IncomingMessage, res: ServerResponse, id: string, action: string): Promise<void> {
    const body = (await this.readObject(req, res, true)) ?? undefined;
    if (body === undefined) return;
    const engine = this.engine();
    const definition = engine && this.workflowType ? engine.definition(this.workflowType) : undefined;
    const transition = this.transitionMap[action] ?? (definition?.transitions.has(action) ? action : undefined);
    if (!transition) return writeJson(res, 404, { error: `unknown action "${action}" for ${this.resourceName}` });
    await this.transition(res, id, transition, body);
  }

  private async transition(
    res: ServerResponse,
    id: string,
    transition: string,
    data: ConfigMap,
    workflowTypeOverride?: string,
  ): Promise<void> {
    const resource = this.store.get(id);
    if (!resource) return writeJson(res, 404, { error: 'Resource not found' });
    const engine = this.engine();
    if (!engine)
      return writeJson(res, 500, {
        error: 'Workflow engine not found (set workflowEngine or add a statemachine.engine module)',
      });
    const workflowType =
      workflowTypeOverride ??
      this.workflowType ??
      stringField(resource.data, 'workflowType') ??
      engine.definitionNames()[0];
    const instanceId = this.instanceId(id, resource.data);
    const failure = (err: unknown) =>
      writeJson(res, transitionErrorStatus(err), {
        success: false,
        error: (err as Error).message,
        id,
        instanceId,
        transition,
      });
    let instance: WorkflowInstance;
    try {
      if (!engine.getInstance(instanceId)) {
        if (!workflowType)
          throw new TransitionError(`no workflow type for resource "${id}"; set workflowType`, 'not_found');
        engine.createInstance(workflowType, instanceId, { ...resource.data, ...data });
      }
      instance = await engine.triggerTransition(instanceId, transition, {
        ...data,
        id,
        instanceId,
        workflowType: workflowType ?? '',
      });
    } catch (err) {
      return failure(err);
    }
    const updated = this.store.put({
      ...resource,
      state: instance.currentState,
      lastUpdate: instance.lastUpdated,
      data: {
        ...resource.data,
        ...data,
        state: instance.currentState,
        lastUpdate: instance.lastUpdated,
        workflowType: instance.workflowType,
        instanceId,
      },
    });
    this.publish('transitioned', { resource: updated, transition });
    writeJson(res, 200, {
      success: true,
      id,
      instanceId,
      transition,
      state: instance.currentState,
      lastUpdate: instance.lastUpdated,
      resource: updated,
    });
  }

  /** Resource with the state machine's current state, which is authoritative when there is one. */
  private withLiveState(resource: RestResource): RestResource {
    const instance = this.engine()?.getInstance(this.instanceId(resource.id, resource.data));
    if (!instance) return resource;
    return { ...resource, state: instance.currentState, lastUpdate: instance.lastUpdated };
  }

  private engine(): StateMachineEngine | undefined {
    const services = this.app?.services;
    if (!services) return undefined;
    if (this.workflowEngine) {
      const svc = services.get(this.workflowEngine);
      if (StateMachineEngineCap.is(svc)) return svc;
      this.logger?.warn(
        { workflowEngine: this.workflowEngine },
        'configured workflow engine not found; looking for another',
      );
    }
    const mapping = services.find(StateConnectorCap)?.engineForResourceType(this.resourceName);
    const mapped = mapping ? services.get(mapping.engine) : undefined;
    if (StateMachineEngineCap.is(mapped)) return mapped;
    return services.find(StateMachineEngineCap);
  }

  private instanceId(id: string, data: ConfigMap): string {
    const field = this.config.string('instanceIDField', 'id')!;
    const fromField = field !== 'id' ? stringField(data, field) : undefined;
    return (this.config.string('instanceIDPrefix') ?? '') + (fromField ?? id);
  }

  private isView(): boolean {
    return Boolean(this.config.string('sourceResourceName'));
  }

  /** The JSON object body, or undefined after answering 400/413. `optional` accepts an empty body. */
  private async readObject(
    req: IncomingMessage,
    res: ServerResponse,
    optional = false,
  ): Promise<ConfigMap | undefined> {
    const body = await readJson(req, MAX_BODY);
    if (!body.ok) {
      writeJson(res, body.status, { error: body.error });
      return undefined;
    }
    if (body.value === undefined && optional) return {};
    if (!isPlainObject(body.value)) {
      writeJson(res, 400, { error: 'Invalid request body: expected a JSON object' });
      return undefined;
    }
    return body.value;
  }

  private publish(event: string, payload: ConfigMap): void {
    if (!this.broker) return;
    const topic = `${this.resourceName}-events`;
    this.broker
      .publish(topic, { eventType: `${this.resourceName}.${event}`, ...payload })
      .catch((err: Error) => this.logger?.warn({ topic, err: err.message }, 'could not publish resource event'));
  }
}

function stringField(data: ConfigMap, key: string): string | undefined {
  const v = data[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function createApiHandler(spec: ModuleSpec): ApiHandler {
  return new ApiHandler(spec.name, spec.config);
}
