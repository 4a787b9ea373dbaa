// step.json_parse: parses the JSON text at `source` (a dotted path, e.g. steps.fetch.row.payload)
// into `target` (default `value`). A value that is already structured passes through unchanged.
import type { StepFactory, TypeSchema } from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';

export const jsonParseSchema: TypeSchema = {
  description: 'Parses a JSON string from the pipeline data into a structured value',
  configFields: [
    { key: 'source', type: 'string', required: true, description: 'dotted path of the JSON text' },
    { key: 'target', type: 'string', default: 'value', description: 'output key of the parsed value' },
  ],
  outputs: [{ key: 'value', type: 'any', description: 'the parsed value (under `target`)' }],
};

export const createJsonParseStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const source = cfg.requiredString('source', 'source: steps.fetch.body');
  const target = cfg.string('target', 'value')!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const raw = ctx.templates.lookup(pc, source);
      if (raw === undefined || raw === null)
        throw new Error(`json_parse "${spec.name}": nothing at "${source}" to parse`);
      let parsed: unknown = raw;
      if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
        try {
          parsed = JSON.parse(raw.toString());
        } catch (err) {
          throw new Error(`"${source}" is not valid JSON: ${(err as Error).message}`);
        }
      }
      return { output: { [target]: parsed } };
    },
  };
};
