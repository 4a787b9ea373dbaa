// Every wfctl command group. Add one line per command file; keep the list sorted by name.
import type { Command } from 'commander';
import { register as devcluster } from './devcluster.ts';
import { register as run } from './run.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [devcluster, run];
