// step.validate_path_param: checks path parameters (from the matched route, else the trigger
// data) against a format (uuid, integer, positive_integer, slug, alphanumeric) or a `pattern`.
// A missing or malformed parameter is a 400.
import { ConfigValueError, ValidationError, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { compileLinearRegExp, type LinearRegExp } from '../../security/index.ts';
import { oneOf, optString, optStringList } from './step-config.ts';

const FORMATS = {
  any: /^.+$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  integer: /^-?\d+$/,
  positive_integer: /^[1-9]\d*$/,
  slug: /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
  alphanumeric: /^[A-Za-z0-9]+$/,
} as const;
type Format = keyof typeof FORMATS;

export const validatePathParamSchema: TypeSchema = {
  description: 'Validates path parameters; 400 when missing or malformed',
  configFields: [
    { key: 'params', type: 'array', aliases: ['param'], description: 'parameter names' },
    { key: 'format', type: 'select', options: Object.keys(FORMATS), default: 'any' },
    { key: 'pattern', type: 'string', description: 'regular expression the value must match' },
  ],
};

export const createValidatePathParamStep: StepFactory = (spec) => {
  const names = optStringList(spec.config, 'params') ?? optStringList(spec.config, 'param');
  if (!names || names.length === 0)
    throw new ConfigValueError('"params" lists the path parameters to check', {
      path: ['params'],
      hint: 'params: [id]',
    });
  const format = oneOf(spec.config, 'format', Object.keys(FORMATS) as Format[], 'any');
  const patternSrc = optString(spec.config, 'pattern');
  let pattern: Pick<LinearRegExp, 'test'> = FORMATS[format];
  if (patternSrc) {
    try {
      // RE2, as upstream's Go regexp: linear time on request input, whatever the pattern
      pattern = compileLinearRegExp(patternSrc);
    } catch (err) {
      throw new ConfigValueError(`invalid pattern: ${(err as Error).message}`, { path: ['pattern'] });
    }
  }
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const out: Record<string, string> = {};
      for (const name of names) {
        const raw = pc.http?.params[name] ?? pc.triggerData[name] ?? pc.current[name];
        if (raw === undefined || raw === null || raw === '')
          throw new ValidationError(`missing path parameter "${name}"`);
        const v = String(raw);
        if (!pattern.test(v))
          throw new ValidationError(
            `path parameter "${name}" is invalid: expected ${patternSrc ? `to match ${patternSrc}` : format}`,
          );
        out[name] = v;
      }
      return { output: { path_params: out } };
    },
  };
};
