// step.validate: `required_fields` (default strategy) or `json_schema` against `schema`, checking
// `source` (a dotted path) or Current. A failure is a validation error (HTTP 400).
import { ownValue } from '../../security/index.ts';
import type { ValidateFunction } from 'ajv';
import {
  ConfigValueError,
  isPlainMap,
  ValidationError,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { compileJsonSchema, schemaProblems } from '../support/index.ts';
import { getPath, oneOf, optMap, optString, optStringList } from './step-config.ts';

export const validateSchema: TypeSchema = {
  description: 'Validates data: required fields or a JSON Schema; fails with HTTP 400',
  configFields: [
    { key: 'strategy', type: 'select', options: ['required_fields', 'json_schema'], default: 'required_fields' },
    { key: 'required_fields', type: 'array' },
    { key: 'schema', type: 'map', description: 'JSON Schema (json_schema strategy)' },
    { key: 'source', type: 'string', description: 'dotted path of the data to check (default: Current)' },
  ],
  validate(config) {
    const strategy = config.strategy ?? 'required_fields';
    if (strategy === 'json_schema' && (config.schema === undefined || config.schema === null))
      return [{ message: 'json_schema strategy needs a schema', path: ['schema'] }];
    if (strategy === 'required_fields' && config.required_fields === undefined)
      return [{ message: 'required_fields strategy needs required_fields', path: ['required_fields'] }];
    return [];
  },
};

export const createValidateStep: StepFactory = (spec, ctx) => {
  const strategy = oneOf(spec.config, 'strategy', ['required_fields', 'json_schema'] as const, 'required_fields');
  const source = optString(spec.config, 'source');
  const read = (pc: Parameters<typeof ctx.templates.lookup>[0]) =>
    source ? ctx.templates.lookup(pc, source) : pc.current;
  if (strategy === 'json_schema') {
    const schema = optMap(spec.config, 'schema');
    if (!schema) throw new ConfigValueError('json_schema strategy needs a schema', { path: ['schema'] });
    let check: ValidateFunction;
    try {
      check = compileJsonSchema(schema);
    } catch (err) {
      throw new ConfigValueError(`invalid JSON Schema: ${(err as Error).message}`, { path: ['schema'] });
    }
    return {
      name: spec.name,
      type: spec.type,
      async execute(pc) {
        const data = read(pc);
        if (!check(data)) {
          const problems = schemaProblems(check.errors).join('; ');
          const hint =
            !source && isPlainMap(pc.current.body) && check(pc.current.body)
              ? ' (the request JSON is under body: set source: body)'
              : '';
          throw new ValidationError(`validation failed: ${problems}${hint}`);
        }
        return { output: { valid: true } };
      },
    };
  }
  const fields = optStringList(spec.config, 'required_fields') ?? [];
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const data = read(pc);
      const map = isPlainMap(data) ? data : {};
      const missing = fields.filter((f) => {
        const v = f.includes('.') ? getPath(map, f) : ownValue(map, f);
        return v === undefined || v === null || v === '';
      });
      if (missing.length > 0) {
        const hint =
          !source && isPlainMap(pc.current.body) && missing.every((f) => ownValue(pc.current.body, f) !== undefined)
            ? ' (the request JSON is under body: set source: body)'
            : '';
        throw new ValidationError(`missing required fields: ${missing.join(', ')}${hint}`);
      }
      return { output: { valid: true } };
    },
  };
};
