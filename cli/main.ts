// wfctl: the one front door. Each command lives in cli/commands/<name>.ts and exports a
// `register(program)` function; cli/commands/index.ts lists them, and only the command argv names is
// loaded (`wfctl --help` loads none: it lists their summaries). User errors are printed here, in one place.
import { Command, CommanderError } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { type CommandEntry, commands, type RegisterCommand } from './commands/index.ts';
import { CliError } from './output.ts';

/** The command argv names (`wfctl NAME ...` or `wfctl help NAME`); undefined for a bare or unknown one. */
function requestedCommand(argv: string[]): CommandEntry | undefined {
  const args = argv.slice(2);
  const name = args[0] === 'help' ? args[1] : args[0];
  return commands.find((c) => c.name === name);
}

/** What `wfctl --help` lists, without loading any command module. */
function summaries(): RegisterCommand[] {
  return commands.map((c) => (program: Command) => {
    program.command(c.name).description(c.summary);
  });
}

export function buildProgram(register: RegisterCommand[]): Command {
  const program = new Command('wfctl')
    .description(
      'Workflow platform CLI: run and validate workflow apps, the plugin registry, the operator and the dev cluster',
    )
    .version(packageJson.version, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const r of register) r(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    const entry = requestedCommand(argv);
    const program = buildProgram(entry ? [(await entry.load()).register] : summaries());
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
