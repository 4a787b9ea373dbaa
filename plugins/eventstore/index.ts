// plugins/eventstore: the eventstore.service module (upstream plugin "eventstore").
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createEventStoreService, eventStoreServiceSchema } from './eventstore-service.ts';

export const eventStorePlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'eventstore.service': createEventStoreService },
  moduleSchemas: { 'eventstore.service': eventStoreServiceSchema },
};

export { EventStoreServiceModule } from './eventstore-service.ts';
export {
  EventStoreCap,
  SqliteEventStore,
  materialize,
  type EventStore,
  type ExecutionEvent,
  type ExecutionFilter,
  type MaterializedExecution,
  type MaterializedStep,
} from './event-store.ts';
