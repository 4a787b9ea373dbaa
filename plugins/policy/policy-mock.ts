// policy.mock (upstream plugins/policy, mock backend): an in-memory policy engine for development
// and tests. `policies: [{name, content}]` are loaded at start. A decision denies when the input's
// `action` is "deny" or any loaded policy's content contains the word "deny"; otherwise it allows
// ("default allow"). It is the policy engine step.authz_check asks.
import {
  ConfigValueError,
  defineCapability,
  type ConfigMap,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, checkedBy, isPlainObject } from '../support/index.ts';

export interface PolicyDecision {
  allowed: boolean;
  reasons: string[];
  metadata: ConfigMap;
}

export interface PolicyEngine {
  evaluate(input: ConfigMap): Promise<PolicyDecision>;
  loadPolicy(name: string, content: string): void | Promise<void>;
  listPolicies(): Array<{ name: string; backend: string; content: string }>;
}

export const PolicyEngineCap = defineCapability<PolicyEngine>('PolicyEngine', 'evaluate', 'loadPolicy', 'listPolicies');

function parsePolicies(config: ConfigMap): Array<{ name: string; content: string }> {
  return new ConfigReader(config).list('policies').map((raw, i) => {
    if (!isPlainObject(raw))
      throw new ConfigValueError(`"policies[${i}]" must be a map {name, content}`, { path: ['policies', i] });
    const p = new ConfigReader(raw);
    const name = p.string('name');
    if (!name) throw new ConfigValueError(`"policies[${i}].name" is required`, { path: ['policies', i, 'name'] });
    return { name, content: p.string('content') ?? '' };
  });
}

export const policyMockSchema: TypeSchema = {
  description: 'In-memory mock policy engine: denies when a loaded policy contains "deny" or input.action is "deny"',
  configFields: [{ key: 'policies', type: 'json', description: 'policies loaded at start: [{name, content}]' }],
  validate: checkedBy(parsePolicies),
};

export class MockPolicyEngine implements Module, PolicyEngine {
  readonly type = 'policy.mock';
  private readonly policies = new Map<string, string>();

  constructor(
    readonly name: string,
    policies: Array<{ name: string; content: string }>,
  ) {
    for (const p of policies) this.policies.set(p.name, p.content);
  }

  loadPolicy(name: string, content: string): void {
    this.policies.set(name, content);
  }

  listPolicies(): Array<{ name: string; backend: string; content: string }> {
    return [...this.policies].map(([name, content]) => ({ name, backend: 'mock', content }));
  }

  async evaluate(input: ConfigMap): Promise<PolicyDecision> {
    if (input.action === 'deny')
      return { allowed: false, reasons: ['input action is deny'], metadata: { backend: 'mock', input } };
    for (const [name, content] of this.policies)
      if (content.includes('deny'))
        return {
          allowed: false,
          reasons: [`policy "${name}" contains deny rule`],
          metadata: { backend: 'mock', matched_policy: name },
        };
    return { allowed: true, reasons: ['default allow'], metadata: { backend: 'mock' } };
  }
}

export const createPolicyMock: ModuleFactory = (spec) => new MockPolicyEngine(spec.name, parsePolicies(spec.config));
