// plugins/: public surface. Other folders import it only through this file.
// `corePlugins` is the built-in plugin list every engine loads (order = load order).
import type { EnginePlugin } from '../engine/index.ts';
import { httpPlugin } from './http/index.ts';
import { observabilityPlugin } from './observability/index.ts';
import { pipelineStepsPlugin } from './pipelinesteps/index.ts';

export { httpPlugin } from './http/index.ts';
export { observabilityPlugin } from './observability/index.ts';
export { pipelineStepsPlugin } from './pipelinesteps/index.ts';

export const corePlugins: EnginePlugin[] = [
  httpPlugin,
  observabilityPlugin,
  pipelineStepsPlugin,
];
