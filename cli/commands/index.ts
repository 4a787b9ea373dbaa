// Every wfctl command group. Add one line per command file; keep the list sorted by name.
import type { Command } from 'commander';
import { register as deploy } from './deploy.ts';
import { register as devcluster } from './devcluster.ts';
import { register as git } from './git.ts';
import { register as inspect } from './inspect.ts';
import { register as license } from './license.ts';
import { register as operator } from './operator.ts';
import { register as plugin } from './plugin.ts';
import { register as registry } from './registry.ts';
import { register as run } from './run.ts';
import { register as schema } from './schema.ts';
import { register as validate } from './validate.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  deploy,
  devcluster,
  git,
  inspect,
  license,
  operator,
  plugin,
  registry,
  run,
  schema,
  validate,
];
