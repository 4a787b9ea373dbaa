// step.log: logs `message` (a template) at `level`.
import type { StepFactory, TypeSchema } from '../../engine/index.ts';
import { oneOf, reqString } from './step-config.ts';

export const logSchema: TypeSchema = {
  description: 'Logs a message',
  configFields: [
    { key: 'message', type: 'string', required: true },
    { key: 'level', type: 'select', options: ['debug', 'info', 'warn', 'error'], default: 'info' },
  ],
};

export const createLogStep: StepFactory = (spec, ctx) => {
  const message = ctx.templates.compile(reqString(spec.config, 'message', 'message: "processing {{ .id }}"'), [
    'message',
  ]);
  const level = oneOf(spec.config, 'level', ['debug', 'info', 'warn', 'error'] as const, 'info');
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      if (pc.logger.isLevelEnabled(level))
        pc.logger[level](
          { component: 'step.log', pipeline: pc.pipelineName, step: spec.name },
          String(message.resolve(pc)),
        );
      return { output: {} };
    },
  };
};
