// wfctl: the one front door. Each command lives in cli/commands/<name>.ts and exports a
// `register(program)` function; this file only wires them up and prints user errors in one place.
import { Command, CommanderError } from 'commander';
import { CliError } from './output.ts';
import type { RegisterCommand } from './commands/index.ts';
import { engineVersion as version } from '../engine/index.ts';

/**
 * The commands argv needs. The engine commands (`run` is the engine container's entry point, where
 * cold start matters; `validate` runs in editors and hooks) and `operator` (long-running, memory
 * matters) load only their own module instead of every command group; anything else loads them all.
 * cli/fast-start.mjs relies on this: its bundle of a command holds that command's module only.
 */
async function commandsFor(argv: string[]): Promise<RegisterCommand[]> {
  switch (argv[2]) {
    case 'run':
      return [(await import('./commands/run.ts')).register];
    case 'validate':
      return [(await import('./commands/validate.ts')).register];
    case 'inspect':
      return [(await import('./commands/inspect.ts')).register];
    case 'schema':
      return [(await import('./commands/schema.ts')).register];
    case 'operator':
      return [(await import('./commands/operator.ts')).register];
    default:
      return (await import('./commands/index.ts')).commands;
  }
}

export function buildProgram(commands: RegisterCommand[]): Command {
  const program = new Command('wfctl')
    .description(
      'Workflow platform CLI: run and validate workflow apps, the plugin registry, the operator and the dev cluster',
    )
    .version(version, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram(await commandsFor(argv));
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed usage errors; --help and --version end here with code 0
    return err.exitCode;
  }
  if (err instanceof CliError) {
    process.stderr.write(`wfctl: ${err.message}\n`);
    if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
    return err.exitCode;
  }
  const e = err as Error & { code?: string };
  if (process.env.WFCTL_DEBUG) process.stderr.write(`${e?.stack ?? String(err)}\n`);
  else process.stderr.write(`wfctl: ${e?.message ?? String(err)}\n  (set WFCTL_DEBUG=1 for a stack trace)\n`);
  return 1;
}
