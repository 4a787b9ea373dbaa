// step.authz_check (upstream module/pipeline_step_authz_check.go): asks a policy engine
// (`policy_engine`*, e.g. a policy.mock module) whether the current request may go on. The input is
// the map at `input_from` (a key of the pipeline data) or all pipeline data, with the value of
// `subject_field` copied to `subject` (when it names another key). Allowed → {allowed: true, reasons,
// metadata}; denied → 403 {"error": "forbidden: <first reason>"} and the pipeline stops.
import type { ConfigMap, StepFactory, TypeSchema } from '../../engine/index.ts';
import { writeJson } from '../http/index.ts';
import { PolicyEngineCap } from '../policy/index.ts';
import { ConfigReader, checkedBy, isPlainObject, moduleRef } from '../support/index.ts';
import { markHandled } from './json-response.ts';

function parseAuthzCheck(config: ConfigMap) {
  const cfg = new ConfigReader(config);
  return {
    engine: cfg.requiredString('policy_engine', 'policy_engine: a policy.mock module'),
    subjectField: cfg.string('subject_field') || 'subject',
    inputFrom: cfg.string('input_from') || undefined,
  };
}

export const authzCheckSchema: TypeSchema = {
  description: 'Asks a policy engine whether the request may go on; 403 and stop when denied',
  configFields: [
    { key: 'policy_engine', type: 'string', required: true, description: 'policy engine module (policy.mock)' },
    { key: 'subject_field', type: 'string', default: 'subject', description: 'pipeline key copied to input.subject' },
    { key: 'input_from', type: 'string', description: 'pipeline key holding the policy input (default: all data)' },
  ],
  outputs: [
    { key: 'allowed', type: 'boolean' },
    { key: 'reasons', type: 'list' },
    { key: 'metadata', type: 'map' },
  ],
  validate: checkedBy(parseAuthzCheck),
};

export const createAuthzCheckStep: StepFactory = (spec, ctx) => {
  const c = parseAuthzCheck(spec.config);
  const engine = moduleRef(ctx, spec, c.engine, 'policy engine', PolicyEngineCap);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const from = c.inputFrom ? pc.current[c.inputFrom] : undefined;
      const input: ConfigMap = { ...(isPlainObject(from) ? from : pc.current) };
      if (c.subjectField !== 'subject' && pc.current[c.subjectField] !== undefined)
        input.subject = pc.current[c.subjectField];
      let decision: Awaited<ReturnType<ReturnType<typeof engine>['evaluate']>>;
      try {
        decision = await engine().evaluate(input);
      } catch (err) {
        throw new Error(`authz_check step "${spec.name}": evaluate: ${(err as Error).message}`);
      }
      if (decision.allowed)
        return { output: { allowed: true, reasons: decision.reasons, metadata: decision.metadata } };
      const error = `forbidden: ${decision.reasons[0] ?? 'authorization denied'}`;
      if (pc.http) {
        writeJson(pc.http.res, 403, { error });
        markHandled(pc);
      }
      return {
        output: {
          response_status: 403,
          response_body: JSON.stringify({ error }),
          response_headers: { 'Content-Type': 'application/json' },
          error,
        },
        stop: true,
      };
    },
  };
};
