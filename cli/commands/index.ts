// Every wfctl command: its name, the one line `wfctl --help` shows, and the module that defines it.
// A module is loaded only when its command runs (or its help is asked for), so each command starts
// without paying for the others. To add a command: write cli/commands/<name>.ts exporting
// `register(program)`, and add one line here (sorted by name; cli/commands.test.ts checks that each
// module registers the names and summaries listed for it). Command modules should import heavy
// packages inside their actions, not at the top, so `wfctl <name> --help` stays fast.
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export interface CommandEntry {
  /** The top-level command name, as typed after `wfctl`. */
  name: string;
  /** The command's description, as its module sets it (shown by `wfctl --help`). */
  summary: string;
  load: () => Promise<{ register: RegisterCommand }>;
}

export const commands: CommandEntry[] = [
  {
    name: 'console',
    summary: 'serve the web console for a cluster: apps, sources, the plugin registry and tenants',
    load: () => import('./console.ts'),
  },
  {
    name: 'deploy',
    summary: 'deploy an engine config (or a WorkflowApp manifest) to a cluster as a WorkflowApp',
    load: () => import('./deploy.ts'),
  },
  {
    name: 'devcluster',
    summary: 'run devcluster, an embedded Kubernetes-compatible API server, in the foreground',
    load: () => import('./devcluster.ts'),
  },
  {
    name: 'diff',
    summary:
      'show what a sync would add, change or remove against the live cluster (unified diff; exit 1 when there ' +
      'are differences)',
    load: () => import('./gitops.ts'),
  },
  {
    name: 'get',
    summary: 'list platform resources',
    load: () => import('./gitops.ts'),
  },
  { name: 'git', summary: "the project's own git server", load: () => import('./git.ts') },
  {
    name: 'history',
    summary: "a WorkflowSource's last syncs: revision, start, duration, result",
    load: () => import('./gitops.ts'),
  },
  {
    name: 'init',
    summary: 'scaffold a new project from a template: an app (API, events, full stack) or a plugin',
    load: () => import('./init.ts'),
  },
  {
    name: 'inspect',
    summary: 'show modules, dependency graph, pipelines, triggers and workflows of a config',
    load: () => import('./inspect.ts'),
  },
  {
    name: 'keys',
    summary: 'publisher signing keys (Ed25519) for wfctl publish',
    load: () => import('./keys.ts'),
  },
  {
    name: 'license',
    summary: 'license keys and tokens (wflic.v1, Ed25519), and the license server',
    load: () => import('./license.ts'),
  },
  {
    name: 'operator',
    summary:
      'run the operator: WorkflowApps into engine Deployments, Services and ConfigMaps; WorkflowSources ' +
      'synced from git',
    load: () => import('./operator.ts'),
  },
  {
    name: 'plugin',
    summary: 'find plugins in a registry, and start new ones',
    load: () => import('./plugin.ts'),
  },
  {
    name: 'publish',
    summary:
      'publish a plugin version to a git registry: keeps the previous version in versions/, validates, ' +
      'commits and pushes',
    load: () => import('./publish.ts'),
  },
  {
    name: 'registry',
    summary: 'the git-native plugin registry: validate, index and serve a registry repository',
    load: () => import('./registry.ts'),
  },
  {
    name: 'run',
    summary: 'run a workflow app until interrupted (SIGINT/SIGTERM stop it gracefully)',
    load: () => import('./run.ts'),
  },
  {
    name: 'schema',
    summary: 'print the JSON Schema of workflow configs (known module and step types included)',
    load: () => import('./schema.ts'),
  },
  {
    name: 'sync',
    summary: 'sync a WorkflowSource now: fetch, apply what is OutOfSync, prune (like argocd app sync)',
    load: () => import('./gitops.ts'),
  },
  {
    name: 'up',
    summary: 'start the whole platform locally: cluster, git server, registry, operator and web console',
    load: () => import('./up.ts'),
  },
  {
    name: 'validate',
    summary: 'validate workflow configs; errors as file:line:column',
    load: () => import('./validate.ts'),
  },
];
