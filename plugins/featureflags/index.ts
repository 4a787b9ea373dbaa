// plugins/featureflags: featureflag.service, step.feature_flag and step.ff_gate.
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createFeatureFlagModule, featureFlagServiceSchema } from './featureflag-service.ts';
import {
  createFeatureFlagStep,
  createFfGateStep,
  featureFlagStepSchema,
  ffGateStepSchema,
} from './featureflag-steps.ts';

export const featureFlagsPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'featureflag.service': createFeatureFlagModule },
  moduleSchemas: { 'featureflag.service': featureFlagServiceSchema },
  steps: { 'step.feature_flag': createFeatureFlagStep, 'step.ff_gate': createFfGateStep },
  stepSchemas: { 'step.feature_flag': featureFlagStepSchema, 'step.ff_gate': ffGateStepSchema },
};

export { FeatureFlagModule, FeatureFlagServiceCap, type FeatureFlagService } from './featureflag-service.ts';
export { evaluateFlag, parseFlag, bucket, type FlagDefinition, type FlagResult } from './flag-evaluation.ts';
