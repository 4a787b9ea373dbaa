// step.cli_print (upstream module/pipeline_step_cli_print.go): writes the template-resolved
// `message`* to `target` stdout (default) or stderr, with a trailing newline unless
// `newline: false` -> {printed}. For workflow-powered CLI tools; the engine's logs go to stderr.
import { formatValue, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';

const TARGETS = ['stdout', 'stderr'] as const;

export const cliPrintSchema: TypeSchema = {
  description: 'Prints a template-resolved message to stdout or stderr',
  configFields: [
    { key: 'message', type: 'string', required: true, description: 'template, e.g. "PASS {{ .config_file }}"' },
    { key: 'newline', type: 'boolean', default: true, description: 'append a newline' },
    { key: 'target', type: 'select', options: [...TARGETS], default: 'stdout' },
  ],
  outputs: [{ key: 'printed', type: 'string', description: 'the resolved message' }],
};

export interface CliStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export function cliPrintStepWith(streams: CliStreams): StepFactory {
  return (spec, ctx) => {
    const cfg = new ConfigReader(spec.config);
    const message = ctx.templates.compile(cfg.requiredString('message', 'message: "PASS {{ .file }}"'), ['message']);
    const newline = cfg.boolean('newline', true)!;
    const target = cfg.oneOf('target', TARGETS, 'stdout');
    return {
      name: spec.name,
      type: spec.type,
      async execute(pc) {
        const printed = formatValue(message.resolve(pc));
        streams[target].write(newline ? `${printed}\n` : printed);
        return { output: { printed } };
      },
    };
  };
}

export const createCliPrintStep: StepFactory = cliPrintStepWith(process);
