// Named CLI command functions a host program or a plugin registers, for step.cli_invoke to call
// (upstream module/cli_command_registry.go: wfctl registers its Go command functions as the
// `cliCommandRegistry` service before the app is built). Here an embedder passes
// `EngineOptions.cliCommands` (a map or a CliCommandRegistry it keeps, to register more later) and a
// plugin contributes `EnginePlugin.cliCommands`; the engine registers one registry per app under
// CLI_COMMAND_REGISTRY_SERVICE, plugin commands first, the host's last (the host wins a clash).
import type { ConfigMap } from './contract.ts';

export const CLI_COMMAND_REGISTRY_SERVICE = 'cliCommandRegistry';

export interface CliCommandContext {
  /** Ends when the pipeline run is cancelled or times out. */
  readonly signal: AbortSignal;
  /** The pipeline's current data (read-only by convention). */
  readonly data: Readonly<ConfigMap>;
}

/**
 * A command implementation (upstream `func(args []string) error`): throw (or reject) to fail the step.
 * A returned value other than undefined becomes the step's `result` output.
 */
export type CliCommand = (args: string[], context: CliCommandContext) => unknown;

export class CliCommandRegistry {
  private readonly commands = new Map<string, CliCommand>();

  constructor(commands: Record<string, CliCommand> = {}) {
    for (const [name, fn] of Object.entries(commands)) this.register(name, fn);
  }

  /** Add or replace the command `name` (as upstream). */
  register(name: string, fn: CliCommand): this {
    if (typeof name !== 'string' || name.trim() === '') throw new TypeError('a CLI command needs a non-empty name');
    if (typeof fn !== 'function') throw new TypeError(`CLI command "${name}" must be a function`);
    this.commands.set(name, fn);
    return this;
  }

  get(name: string): CliCommand | undefined {
    return this.commands.get(name);
  }

  names(): string[] {
    return [...this.commands.keys()].sort();
  }
}

/** The app's registry: plugins' commands, then the host's (a registry the host passes is used as is). */
export function cliCommandRegistryFor(
  plugins: ReadonlyArray<{ cliCommands?: Record<string, CliCommand> }>,
  host: CliCommandRegistry | Record<string, CliCommand> | undefined,
): CliCommandRegistry {
  const registry = host instanceof CliCommandRegistry ? host : new CliCommandRegistry();
  for (const plugin of plugins)
    for (const [name, fn] of Object.entries(plugin.cliCommands ?? {}))
      if (!(host instanceof CliCommandRegistry && registry.get(name))) registry.register(name, fn);
  if (host && !(host instanceof CliCommandRegistry))
    for (const [name, fn] of Object.entries(host)) registry.register(name, fn);
  return registry;
}
