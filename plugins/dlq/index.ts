// plugins/dlq: the dlq.service module (upstream plugin "dlq").
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createDlqService, dlqServiceSchema } from './dlq-service.ts';

export const dlqPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'dlq.service': createDlqService },
  moduleSchemas: { 'dlq.service': dlqServiceSchema },
};

export { DlqServiceModule } from './dlq-service.ts';
export { DlqStore, DLQ_STATUSES, type DlqEntry, type DlqStatus } from './dlq-store.ts';
