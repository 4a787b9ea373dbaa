// The ajv validators of our own JSON Schemas, by name (schema/validator-definitions.ts). Running from
// sources they are compiled in memory on first use. In dist/ the build replaces this module with ajv
// standalone code of the same validators, compiled at build time (scripts/build.ts): a CLI or engine
// start neither loads ajv's compiler nor compiles, and no generated code is written or evaluated at run time.
import type { ValidateFunction } from 'ajv';
import { type ValidatorName, validatorDefinitions } from './validator-definitions.ts';

const compiled = new Map<ValidatorName, ValidateFunction>();

export function compiledValidator(name: ValidatorName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    const definition = validatorDefinitions[name];
    validate = definition.newAjv({}).compile(definition.schema);
    compiled.set(name, validate);
  }
  return validate;
}
