// One parse of a type's config serves both the factory (which builds from it) and `wfctl validate`
// (TypeSchema.validate): the problems `wfctl validate` reports are exactly the errors the factory
// would throw at load, located at the same key.
import { ConfigValueError, type ConfigMap, type TypeSchema } from '../../engine/index.ts';

export function checkedBy(parse: (config: ConfigMap) => unknown): NonNullable<TypeSchema['validate']> {
  return (config) => {
    try {
      parse(config);
      return [];
    } catch (err) {
      if (err instanceof ConfigValueError) return [{ message: err.message, path: err.path, hint: err.hint }];
      throw err;
    }
  };
}
