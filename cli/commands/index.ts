// Every wfctl command group. Add one line per command file; keep the list sorted by name.
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
