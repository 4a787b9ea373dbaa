// step.hash: the hex digest (`algorithm` md5 | sha256 | sha512, default sha256) of the
// template-resolved `input` -> {hash, algorithm}.
import { createHash } from 'node:crypto';
import { formatValue, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';
import { oneOf } from './step-config.ts';

const ALGORITHMS = ['md5', 'sha256', 'sha512'] as const;

export const hashSchema: TypeSchema = {
  description: 'Computes the hex digest of a template-resolved string',
  configFields: [
    { key: 'input', type: 'string', required: true, description: 'template of the string to hash' },
    { key: 'algorithm', type: 'select', options: [...ALGORITHMS], default: 'sha256' },
  ],
  outputs: [
    { key: 'hash', type: 'string', description: 'lowercase hex digest' },
    { key: 'algorithm', type: 'string' },
  ],
};

export const createHashStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const algorithm = oneOf(spec.config, 'algorithm', ALGORITHMS, 'sha256');
  const input = ctx.templates.compile(cfg.requiredString('input', 'input: "{{ .body.email }}"'), ['input']);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const digest = createHash(algorithm)
        .update(formatValue(input.resolve(pc)), 'utf8')
        .digest('hex');
      return { output: { hash: digest, algorithm } };
    },
  };
};
