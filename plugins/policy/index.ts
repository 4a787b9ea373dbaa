// plugins/policy: policy engines for step.authz_check. Only upstream's mock backend (policy.mock);
// OPA and Cedar are external plugins upstream too.
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createPolicyMock, policyMockSchema } from './policy-mock.ts';

export const policyPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'policy.mock': createPolicyMock },
  moduleSchemas: { 'policy.mock': policyMockSchema },
};

export { PolicyEngineCap, type PolicyDecision, type PolicyEngine } from './policy-mock.ts';
