// step.validate_pagination: the `page` and `limit` query parameters of the request (or of the
// trigger data), checked and defaulted -> {page, limit, offset}. A non-positive or non-integer
// value, or a limit above `max_limit`, is a 400 (upstream answered 500).
import { ConfigValueError, ValidationError, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';

export const validatePaginationSchema: TypeSchema = {
  description: 'Validates and defaults page/limit query parameters; 400 when out of range',
  configFields: [
    { key: 'max_limit', type: 'number', default: 100 },
    { key: 'default_limit', type: 'number', default: 20 },
    { key: 'default_page', type: 'number', default: 1 },
  ],
  outputs: [
    { key: 'page', type: 'number' },
    { key: 'limit', type: 'number' },
    { key: 'offset', type: 'number', description: '(page - 1) * limit' },
  ],
};

function positiveInt(name: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new ValidationError(`invalid ${name} parameter "${raw}": must be a positive integer`);
  return Number(raw);
}

export const createValidatePaginationStep: StepFactory = (spec) => {
  const cfg = new ConfigReader(spec.config);
  const maxLimit = Math.floor(cfg.number('max_limit', 100)!);
  const defaultLimit = Math.floor(cfg.number('default_limit', 20)!);
  const defaultPage = Math.floor(cfg.number('default_page', 1)!);
  if (maxLimit <= 0) throw new ConfigValueError('"max_limit" must be positive', { path: ['max_limit'] });
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const url = pc.http?.req.url;
      const query = url ? new URL(url, 'http://x').searchParams : undefined;
      const param = (k: string) => {
        const v = query ? query.get(k) : pc.triggerData[k];
        return v === undefined || v === null || v === '' ? undefined : String(v);
      };
      const pageRaw = param('page');
      const limitRaw = param('limit');
      const page = pageRaw === undefined ? defaultPage : positiveInt('page', pageRaw);
      const limit = limitRaw === undefined ? defaultLimit : positiveInt('limit', limitRaw);
      if (limit > maxLimit) throw new ValidationError(`limit ${limit} exceeds maximum ${maxLimit}`);
      return { output: { page, limit, offset: (page - 1) * limit } };
    },
  };
};
