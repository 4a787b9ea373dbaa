// step.cli_invoke (upstream module/pipeline_step_cli_invoke.go): calls the CLI command function that the
// host program or a plugin registered under `command`* (engine/cli-commands.ts: EngineOptions.cliCommands,
// EnginePlugin.cliCommands), with the pipeline's `args` (a list; upstream's CLI trigger puts them in
// the trigger data) -> {command, success: true}, plus `result` when the function returns a value.
// A command nobody registered, or a function that throws, fails the step with a message naming both.
import {
  CLI_COMMAND_REGISTRY_SERVICE,
  formatValue,
  type CliCommand,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';

export const cliInvokeSchema: TypeSchema = {
  description: 'Calls a CLI command function registered by the host program or a plugin',
  configFields: [{ key: 'command', type: 'string', required: true, description: 'the registered command name' }],
  outputs: [
    { key: 'command', type: 'string' },
    { key: 'success', type: 'boolean' },
    { key: 'result', type: 'any', description: 'what the function returned, when not undefined (an addition)' },
  ],
};

interface CommandLookup {
  get(name: string): CliCommand | undefined;
  names(): string[];
}

const isLookup = (v: unknown): v is CommandLookup =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as CommandLookup).get === 'function' &&
  typeof (v as CommandLookup).names === 'function';

export const createCliInvokeStep: StepFactory = (spec, ctx) => {
  const command = new ConfigReader(spec.config).requiredString('command', 'command: validate');
  const label = `cli_invoke step "${spec.name}"`;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const registry = ctx.services.get(CLI_COMMAND_REGISTRY_SERVICE);
      if (!isLookup(registry))
        throw new Error(
          `${label}: no CLI commands are registered in this app; the program that embeds the engine passes ` +
            `them as EngineOptions.cliCommands, or a plugin as cliCommands`,
        );
      const fn = registry.get(command);
      if (!fn) {
        const known = registry.names();
        throw new Error(
          `${label}: no runner registered for command "${command}"` +
            (known.length > 0 ? ` (registered: ${known.join(', ')})` : ''),
        );
      }
      const raw = pc.current.args;
      if (raw !== undefined && raw !== null && !Array.isArray(raw))
        throw new Error(`${label}: "args" in the pipeline data must be a list of strings, got ${typeof raw}`);
      const args = (raw ?? []).map((a) => formatValue(a));
      let result: unknown;
      try {
        result = await fn(args, { signal: pc.signal, data: pc.current });
      } catch (err) {
        throw new Error(`${label} (command "${command}"): ${err instanceof Error ? err.message : String(err)}`);
      }
      return { output: { command, success: true, ...(result === undefined ? {} : { result }) } };
    },
  };
};
