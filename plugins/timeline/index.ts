// plugins/timeline: the timeline.service module (upstream plugin "timeline").
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createTimelineService, timelineServiceSchema } from './timeline-service.ts';

export const timelinePlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'timeline.service': createTimelineService },
  moduleSchemas: { 'timeline.service': timelineServiceSchema },
};

export { TimelineServiceModule } from './timeline-service.ts';
