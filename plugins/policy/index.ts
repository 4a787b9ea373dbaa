// plugins/policy: policy engines for step.authz_check and the step.policy_* steps. Only upstream's mock
// backend (policy.mock); OPA and Cedar are external plugins upstream too.
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createPolicyMock, policyMockSchema } from './policy-mock.ts';
import {
  createPolicyEvaluateStep,
  createPolicyListStep,
  createPolicyLoadStep,
  createPolicyTestStep,
  policyEvaluateSchema,
  policyListSchema,
  policyLoadSchema,
  policyTestSchema,
} from './policy-steps.ts';

export const policyPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'policy.mock': createPolicyMock },
  moduleSchemas: { 'policy.mock': policyMockSchema },
  steps: {
    'step.policy_evaluate': createPolicyEvaluateStep,
    'step.policy_load': createPolicyLoadStep,
    'step.policy_list': createPolicyListStep,
    'step.policy_test': createPolicyTestStep,
  },
  stepSchemas: {
    'step.policy_evaluate': policyEvaluateSchema,
    'step.policy_load': policyLoadSchema,
    'step.policy_list': policyListSchema,
    'step.policy_test': policyTestSchema,
  },
};

export { PolicyEngineCap, type PolicyDecision, type PolicyEngine } from './policy-mock.ts';
