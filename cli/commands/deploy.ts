// wfctl deploy FILE [--dry-run]: turn an engine config (or a WorkflowApp manifest) into a
// WorkflowApp and server-side apply it; the operator does the rest. The config is validated with the
// engine's validator first, so a broken config never reaches the cluster. --dry-run prints the
// WorkflowApp instead; --wait follows it until Ready and prints its endpoint.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { KubeClient, WorkflowApp } from '../../operator/index.ts';
import { CliError, parseOutputFormat, printStructured } from '../output.ts';
import { parseDurationFlag } from './operator.ts';

// The operator package (and @kubernetes/client-node) loads only when deploy runs.
const loadOperator = () => import('../../operator/index.ts');

interface DeployFlags {
  dryRun?: boolean;
  output?: string;
  name?: string;
  namespace?: string;
  kubeconfig?: string;
  image?: string;
  replicas?: string;
  serviceType?: string;
  strategy?: string;
  tenant?: string;
  forceConflicts?: boolean;
  wait?: boolean;
  timeout: string;
}

const serviceTypes = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;
const strategies = ['RollingUpdate', 'Recreate', 'BlueGreen', 'Canary'] as const;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new CliError(`${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

type OperatorModule = Awaited<ReturnType<typeof loadOperator>>;

export function currentNamespace(op: OperatorModule, kubeconfig: string | undefined): string | undefined {
  try {
    const kc = op.loadKubeConfig(kubeconfig);
    return kc.getContextObject(kc.getCurrentContext())?.namespace;
  } catch {
    return undefined;
  }
}

export function register(program: Command): void {
  program
    .command('deploy')
    .description('deploy an engine config (or a WorkflowApp manifest) to a cluster as a WorkflowApp')
    .argument('<file>', 'engine config YAML, or a WorkflowApp manifest')
    .option('--dry-run', 'print the WorkflowApp instead of applying it')
    .option('-o, --output <format>', 'with --dry-run: yaml (default) or json')
    .option('--name <name>', "app name (default: the config's name, else the file name)")
    .option('-n, --namespace <ns>', "namespace (default: the kubeconfig context's, else default)")
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
    .option('--image <image>', "engine image (default: the operator's)")
    .option('--replicas <n>', 'number of engine pods')
    .option('--service-type <type>', serviceTypes.join(', '))
    .option('--strategy <type>', strategies.join(', '))
    .option('--tenant <id>', 'tenant id')
    .option('--force-conflicts', 'take over fields another manager set (server-side apply force)')
    .option('--wait', 'wait until the app is Ready and print its endpoint')
    .option('--timeout <d>', 'with --wait: how long to wait', '5m')
    .action(async (file: string, flags: DeployFlags) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(
          `cannot read ${file}: ` +
            `${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
        );
      }
      let replicas: number | undefined;
      if (flags.replicas !== undefined) {
        replicas = Number(flags.replicas);
        if (!Number.isInteger(replicas) || replicas < 0)
          throw new CliError(`--replicas must be a whole number >= 0 (got "${flags.replicas}")`);
      }
      const op = await loadOperator();
      const namespace = flags.namespace ?? currentNamespace(op, flags.kubeconfig) ?? 'default';
      let app: WorkflowApp;
      try {
        app = op.workflowAppFromFile(text, basename(file), {
          name: flags.name,
          namespace,
          image: flags.image,
          replicas,
          serviceType: oneOf('--service-type', flags.serviceType, serviceTypes),
          strategy: oneOf('--strategy', flags.strategy, strategies),
          tenant: flags.tenant,
        });
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`${file}: not valid YAML: ${(err as Error).message}`);
      }
      await checkApp(op, app, file, text, !!flags.dryRun);
      if (flags.dryRun) {
        const format = parseOutputFormat(flags.output ?? 'yaml');
        if (format === 'json') printStructured('json', app);
        else process.stdout.write((await import('yaml')).stringify(app, { blockQuote: 'literal', lineWidth: 0 }));
        return;
      }
      await apply(op, app, flags);
    });
}

/** Schema and engine validation; prints every problem, then fails with a count. */
async function checkApp(
  op: OperatorModule,
  app: WorkflowApp,
  file: string,
  text: string,
  dryRun: boolean,
): Promise<void> {
  const problems = op
    .validateWorkflowAppObject(app)
    .map((p) => `${file}: ${op.pointerToFieldPath(p.pointer)}: ${p.message}`);
  if (problems.length === 0 && app.spec.config !== undefined) {
    const engine = await import('../../engine/index.ts');
    const { pluginLocations, pluginsForConfig } = await import('../app-plugins.ts');
    const inline = app.spec.config === text ? file : `${file}#spec.config`;
    const loaded = engine.readConfigText(app.spec.config, { file: inline, baseDir: dirname(resolve(file)) });
    // The cluster gets plugins from the registry (the operator resolves requires.plugins); a plugin
    // project on this disk cannot be deployed until it is published.
    const local = engine.requiredPlugins(loaded.config).filter((r) => engine.isLocalSource(r.source));
    if (!dryRun && local.length)
      throw new CliError(
        `${file}: requires.plugins ${local.map((r) => `${r.name} (source ${r.source})`).join(', ')} is a local ` +
          `project, which a cluster cannot install`,
        { hint: 'publish it (wfctl publish) and drop "source", so the operator installs it from the registry' },
      );
    const plugins = await pluginsForConfig(loaded.config, loaded, pluginLocations({}, file));
    const check = await op.engineConfigValidator(plugins)(app.spec.config, inline);
    problems.push(...check.errors);
  }
  if (problems.length) {
    for (const p of problems) process.stderr.write(`${p}\n`);
    throw new CliError(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was applied`);
  }
}

async function apply(op: OperatorModule, app: WorkflowApp, flags: DeployFlags): Promise<void> {
  let client: KubeClient;
  try {
    client = new op.KubeClient(op.loadKubeConfig(flags.kubeconfig), { fieldManager: 'wfctl' });
  } catch (err) {
    throw new CliError((err as Error).message, { hint: 'use --dry-run to print the WorkflowApp without a cluster' });
  }
  const ref = {
    apiVersion: app.apiVersion,
    kind: app.kind,
    metadata: { name: app.metadata.name, namespace: app.metadata.namespace },
  };
  const what = `workflowapp.${op.workflowAppApi.group}/${app.metadata.name}`;
  try {
    const existed = await client.read(ref);
    await client.apply(app, { force: flags.forceConflicts ?? false });
    process.stdout.write(`${what} ${existed ? 'configured' : 'created'} in namespace ${app.metadata.namespace}\n`);
  } catch (err) {
    throw explain(op, err, app);
  }
  if (!flags.wait) {
    process.stdout.write(
      `  follow it: kubectl wait --for=condition=Ready -n ${app.metadata.namespace} wfa/${app.metadata.name}\n`,
    );
    return;
  }
  await waitReady(client, app, parseDurationFlag('--timeout', flags.timeout));
}

function explain(op: OperatorModule, err: unknown, app: WorkflowApp): CliError {
  const e = err as Error;
  const { KubeApiError } = op;
  if (err instanceof KubeApiError && err.code === 404) {
    return new CliError(`the cluster does not know WorkflowApps (${e.message})`, {
      hint: 'install the CRD: kubectl apply -k crds (or kubectl apply -k operator/deploy)',
    });
  }
  if (err instanceof KubeApiError && err.code === 409) {
    return new CliError(e.message, {
      hint: `another field manager owns fields of ${app.metadata.name}; rerun with --force-conflicts to take them over`,
    });
  }
  if (err instanceof KubeApiError && err.code === 422) {
    return new CliError(e.message + err.causes.map((c) => `\n  ${c.field}: ${c.message}`).join(''));
  }
  return new CliError(e.message);
}

async function waitReady(client: KubeClient, app: WorkflowApp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ref = {
    apiVersion: app.apiVersion,
    kind: app.kind,
    metadata: { name: app.metadata.name, namespace: app.metadata.namespace },
  };
  let last = '';
  while (Date.now() < deadline) {
    const live = await client.read<WorkflowApp & { kind: string }>(ref).catch(() => undefined);
    const generation = live?.metadata.generation;
    const conds = live?.status?.conditions ?? [];
    const current = (t: string) => conds.find((c) => c.type === t && c.observedGeneration === generation);
    const ready = current('Ready');
    if (ready?.status === 'True') {
      process.stdout.write(`${app.metadata.name} is Ready: ${ready.message}\n`);
      if (live?.status?.endpoint) process.stdout.write(`endpoint: ${live.status.endpoint}\n`);
      return;
    }
    for (const t of ['ConfigValid', 'PluginsResolved']) {
      const c = current(t);
      if (c?.status === 'False') throw new CliError(`${app.metadata.name}: ${t}=False (${c.reason}): ${c.message}`);
    }
    const line = ready ? `${ready.reason}: ${ready.message}` : 'waiting for the operator';
    if (line !== last) process.stderr.write(`  ${line}\n`);
    last = line;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new CliError(`${app.metadata.name} was not Ready within ${Math.round(timeoutMs / 1000)}s`, {
    hint: `kubectl describe wfa -n ${app.metadata.namespace} ${app.metadata.name}`,
  });
}
