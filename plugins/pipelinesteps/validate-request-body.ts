// step.validate_request_body: the request's JSON object body (pre-parsed trigger data, else the raw
// body of the live request) must be present and carry every `required_fields` key -> {body}.
// A missing or malformed body is a 400 (upstream answered 500: the client's mistake is a 4xx here).
import { isPlainMap, ValidationError, type ConfigMap, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';

export const validateRequestBodySchema: TypeSchema = {
  description: 'Requires a JSON object request body with the given fields; 400 otherwise',
  configFields: [{ key: 'required_fields', type: 'array', description: 'keys the body must have' }],
  outputs: [{ key: 'body', type: 'map', description: 'the parsed body' }],
};

export const createValidateRequestBodyStep: StepFactory = (spec) => {
  const required = new ConfigReader(spec.config).stringList('required_fields');
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      let body: ConfigMap | undefined;
      if (isPlainMap(pc.triggerData.body)) body = pc.triggerData.body as ConfigMap;
      else if (isPlainMap(pc.current.body)) body = pc.current.body as ConfigMap;
      else if (pc.http?.rawBody && pc.http.rawBody.length > 0) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(pc.http.rawBody.toString('utf8'));
        } catch (err) {
          throw new ValidationError(`invalid JSON body: ${(err as Error).message}`);
        }
        if (!isPlainMap(parsed)) throw new ValidationError('the request body must be a JSON object');
        body = parsed as ConfigMap;
      }
      if (!body && required.length > 0) throw new ValidationError('request body is required');
      const missing = required.filter((f) => !body || !Object.hasOwn(body, f));
      if (missing.length > 0) throw new ValidationError(`missing required fields: ${missing.join(', ')}`);
      return { output: { body: body ?? {} } };
    },
  };
};
