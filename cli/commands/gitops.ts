// The GitOps commands, thin over the operator package:
//   wfctl sync NAME [-n NS] [--wait]     force a sync (annotation, like `argocd app sync`), optionally follow it
// wfctl diff DIR | --source NAME       what a sync would add, change or remove, as a unified diff (exit 1 on
// differences)
//   wfctl get sources [-n NS | -A]       the sources, like `kubectl get wfs`
//   wfctl history NAME [-n NS]           a source's last syncs
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Command } from 'commander';
import type { KubeClient, RepoTree, WorkflowSource } from '../../operator/index.ts';
import { CliError, formatTable, parseOutputFormat, printStructured } from '../output.ts';
import { currentNamespace } from './deploy.ts';
import { parseDurationFlag } from './operator.ts';

const loadOperator = () => import('../../operator/index.ts');
type OperatorModule = Awaited<ReturnType<typeof loadOperator>>;

interface Common {
  namespace?: string;
  kubeconfig?: string;
}

async function connect(flags: Common): Promise<{ op: OperatorModule; client: KubeClient; namespace: string }> {
  const op = await loadOperator();
  let client: KubeClient;
  try {
    client = new op.KubeClient(op.loadKubeConfig(flags.kubeconfig), { fieldManager: 'wfctl' });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  return { op, client, namespace: flags.namespace ?? currentNamespace(op, flags.kubeconfig) ?? 'default' };
}

function sourceRef(op: OperatorModule, namespace: string, name: string) {
  const a = op.workflowAppApi;
  return { group: a.group, version: a.version, plural: op.workflowSourceApi.plural, namespace, name };
}

async function readSource(
  op: OperatorModule,
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<WorkflowSource> {
  try {
    const src = await client.read<WorkflowSource & KubernetesObject>({
      apiVersion: op.workflowAppApi.apiVersion,
      kind: op.workflowSourceApi.kind,
      metadata: { name, namespace },
    });
    if (!src)
      throw new CliError(`WorkflowSource ${namespace}/${name} not found`, {
        hint: `wfctl get sources -n ${namespace}`,
      });
    return src;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message, { hint: 'is the WorkflowSource CRD installed? kubectl apply -k crds' });
  }
}

const withCommon = (c: Command) =>
  c
    .option('-n, --namespace <ns>', "namespace (default: the kubeconfig context's, else default)")
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)');

export function register(program: Command): void {
  withCommon(
    program
      .command('sync')
      .description('sync a WorkflowSource now: fetch, apply what is OutOfSync, prune (like argocd app sync)')
      .argument('<name>', 'WorkflowSource name')
      .option('--wait', 'wait until the sync is done and everything is Healthy')
      .option('--timeout <d>', 'with --wait: how long to wait', '5m'),
  ).action(async (name: string, flags: Common & { wait?: boolean; timeout: string }) => {
    const timeoutMs = parseDurationFlag('--timeout', flags.timeout);
    const { op, client, namespace } = await connect(flags);
    await readSource(op, client, namespace, name);
    const stamp = new Date().toISOString();
    await client.patchCustomMetadata(sourceRef(op, namespace, name), {
      annotations: { [op.workflowSourceApi.annotations.syncRequestedAt]: stamp },
    });
    process.stdout.write(`sync of workflowsource ${namespace}/${name} requested\n`);
    if (!flags.wait) return;
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const src = await readSource(op, client, namespace, name);
      const st = src.status ?? {};
      const ready = st.conditions?.find((c) => c.type === 'Ready' && c.observedGeneration === src.metadata.generation);
      if (st.lastHandledSyncRequest === stamp && ready) {
        const summary = `revision ${st.sync?.revision?.slice(0, 7)}: ${st.sync?.status}, ${st.health?.status}`;
        if (ready.status === 'True') {
          process.stdout.write(`${name} synced: ${summary}\n`);
          const h = st.history?.[0];
          if (h) process.stdout.write(`  ${h.result} in ${h.duration}: ${h.message ?? ''}\n`);
          return;
        }
        if (
          ['InvalidFiles', 'ApplyFailed', 'FetchFailed', 'WaveDegraded', 'Degraded', 'InvalidSpec'].includes(
            ready.reason,
          )
        )
          throw new CliError(`${name}: ${ready.reason}: ${ready.message}`, {
            hint: `kubectl get wfs ${name} -n ${namespace} -o yaml`,
          });
      }
      const line =
        st.lastHandledSyncRequest === stamp
          ? `${ready?.reason ?? ''}: ${ready?.message ?? ''}`
          : 'waiting for the operator';
      if (line !== last) process.stderr.write(`  ${line}\n`);
      last = line;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new CliError(`${name} did not finish syncing within ${Math.round(timeoutMs / 1000)}s`, {
      hint: `kubectl describe wfs -n ${namespace} ${name}`,
    });
  });

  withCommon(
    program
      .command('diff')
      .description(
        'show what a sync would add, change or remove against the live cluster (unified diff; exit 1 when ' +
          'there are differences)',
      )
      .argument('[dir]', 'a directory of manifests (a checkout), rendered as a source would render it')
      .option(
        '--source <name>',
        'the WorkflowSource to diff (its repo and revision; with DIR: its settings and what it tracks)',
      ),
  ).action(async (dir: string | undefined, flags: Common & { source?: string }) => {
    if (!dir && !flags.source) throw new CliError('give a DIR or --source NAME', { exitCode: 2 });
    if (dir) {
      try {
        if (!statSync(dir).isDirectory()) throw new Error('not a directory');
      } catch {
        throw new CliError(`${dir}: not a directory`, { exitCode: 2 });
      }
    }
    try {
      process.exitCode = await diff(dir, flags);
    } catch (err) {
      if (err instanceof CliError) throw new CliError(err.message, { exitCode: 2, hint: err.hint });
      throw new CliError((err as Error).message, { exitCode: 2 });
    }
  });

  const get = program.command('get').description('list platform resources');
  withCommon(
    get
      .command('sources')
      .alias('source')
      .alias('wfs')
      .description('list WorkflowSources: sync status, health, revision (like kubectl get wfs)')
      .option('-A, --all-namespaces', 'every namespace')
      .option('-o, --output <format>', 'json or yaml'),
  ).action(async (flags: Common & { allNamespaces?: boolean; output?: string }) => {
    const format = parseOutputFormat(flags.output);
    const { op, client, namespace } = await connect(flags);
    const base = {
      group: op.workflowAppApi.group,
      version: op.workflowAppApi.version,
      plural: op.workflowSourceApi.plural,
    };
    const list = (await client
      .call('list workflowsources', () =>
        flags.allNamespaces
          ? client.custom.listClusterCustomObject(base)
          : client.custom.listNamespacedCustomObject({ ...base, namespace }),
      )
      .catch((err: Error) => {
        throw new CliError(err.message, { hint: 'is the WorkflowSource CRD installed? kubectl apply -k crds' });
      })) as { items: WorkflowSource[] };
    if (printStructured(format, list.items)) return;
    if (list.items.length === 0) {
      process.stderr.write(`No sources found${flags.allNamespaces ? '' : ` in ${namespace} namespace`}.\n`);
      return;
    }
    const rows = list.items.map((s) => [
      ...(flags.allNamespaces ? [s.metadata.namespace] : []),
      s.metadata.name,
      s.status?.sync?.status ?? 'Unknown',
      s.status?.health?.status ?? '',
      s.status?.sync?.revision?.slice(0, 7) ?? '',
      age(s.metadata.creationTimestamp),
      s.spec.repoURL + (s.spec.path ? ` (${s.spec.path})` : ''),
      s.status?.conditions?.find((c) => c.type === 'Ready')?.message.split('\n')[0] ?? '',
    ]);
    const headers = [
      ...(flags.allNamespaces ? ['namespace'] : []),
      'name',
      'sync',
      'health',
      'revision',
      'age',
      'repo',
      'message',
    ];
    process.stdout.write(formatTable(headers, rows));
  });

  withCommon(
    program
      .command('history')
      .description("a WorkflowSource's last syncs: revision, start, duration, result")
      .argument('<name>', 'WorkflowSource name')
      .option('-o, --output <format>', 'json or yaml'),
  ).action(async (name: string, flags: Common & { output?: string }) => {
    const format = parseOutputFormat(flags.output);
    const { op, client, namespace } = await connect(flags);
    const src = await readSource(op, client, namespace, name);
    const history = src.status?.history ?? [];
    if (printStructured(format, history)) return;
    if (history.length === 0) {
      process.stderr.write(`${name} has not synced yet.\n`);
      return;
    }
    process.stdout.write(
      formatTable(
        ['revision', 'start', 'duration', 'result', 'message'],
        history.map((e) => [e.revision.slice(0, 7), e.start, e.duration, e.result, e.message]),
      ),
    );
  });
}

function age(created: Date | string | undefined): string {
  if (!created) return '';
  const s = Math.max(0, Math.floor((Date.now() - new Date(created).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Metadata the server or the sync machinery sets, left out of a diff. */
function comparable(obj: KubernetesObject | undefined, stripTracking: boolean, op: OperatorModule): unknown {
  if (!obj) return undefined;
  type Metadata = Record<string, unknown> & { annotations?: Record<string, string>; labels?: Record<string, string> };
  const o = structuredClone(obj) as { status?: unknown; metadata?: Metadata };
  delete o.status;
  const m: Metadata = o.metadata ?? {};
  for (const k of ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink'])
    delete m[k];
  if (stripTracking) {
    const s = op.workflowSourceApi;
    delete m.annotations?.[s.annotations.source];
    delete m.annotations?.[`${op.workflowAppApi.group}/desired-hash`];
    delete m.labels?.[s.labels.sourceName];
    delete m.labels?.[s.labels.sourceNamespace];
    for (const key of ['annotations', 'labels'] as const) if (m[key] && Object.keys(m[key]).length === 0) delete m[key];
  }
  return o;
}

async function diff(dir: string | undefined, flags: Common & { source?: string }): Promise<number> {
  const { op, client, namespace } = await connect(flags);
  const src = flags.source ? await readSource(op, client, namespace, flags.source) : undefined;
  const sourceKey = src ? `${src.metadata.namespace}/${src.metadata.name}` : undefined;
  const targetNamespace = src?.spec.targetNamespace ?? src?.metadata.namespace ?? namespace;
  let tree: RepoTree;
  let cleanup = () => {};
  if (dir) tree = new op.DirectoryTree(dir);
  else {
    const cacheDir = mkdtempSync(join(tmpdir(), 'wfctl-diff-'));
    cleanup = () => rmSync(cacheDir, { recursive: true, force: true });
    const s = src!;
    const secretName = s.spec.secretRef?.name;
    let credentials;
    if (secretName) {
      const secret = await client.read<{ data?: Record<string, string> } & KubernetesObject>({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secretName, namespace: s.metadata.namespace },
      });
      const v = (k: string) => (secret?.data?.[k] ? Buffer.from(secret.data[k]!, 'base64').toString() : undefined);
      credentials = { token: v('token'), username: v('username'), password: v('password') };
    }
    try {
      const snap = await new op.GitFetcher(cacheDir).fetch('diff', {
        repoURL: s.spec.repoURL,
        revision: s.spec.revision,
        credentials,
      });
      tree = new op.GitTree(snap);
      process.stderr.write(
        `diffing ${op.displayUrl(s.spec.repoURL)} at ${snap.commit.oid.slice(0, 7)} "${snap.commit.subject}"\n`,
      );
    } catch (err) {
      cleanup();
      throw new CliError((err as Error).message);
    }
  }
  try {
    const rendered = await op.renderSource(tree, {
      source: { namespace: src?.metadata.namespace ?? namespace, name: src?.metadata.name ?? 'local' },
      path: dir ? undefined : src?.spec.path,
      include: src?.spec.include,
      exclude: src?.spec.exclude,
      targetNamespace,
      tenant: src?.spec.tenant,
      allowedKinds: src?.spec.allowedKinds,
    });
    const { corePlugins } = await import('../../plugins/index.ts');
    await op.checkEmbeddedConfigs(rendered, op.engineConfigValidator(corePlugins));
    for (const p of rendered.problems)
      process.stderr.write(
        `${p.file}${p.line ? `:${p.line}` : ''}${p.column ? `:${p.column}` : ''}: ${p.status}: ${p.message}\n`,
      );
    const [{ createTwoFilesPatch }, { stringify }] = await Promise.all([import('diff'), import('yaml')]);
    const strip = !src;
    let differences = 0;
    const emit = (name: string, live: unknown, merged: unknown) => {
      const a = live === undefined ? '' : stringify(live, { lineWidth: 0 });
      const b = merged === undefined ? '' : stringify(merged, { lineWidth: 0 });
      if (a === b) return;
      differences++;
      process.stdout.write(
        createTwoFilesPatch(
          live === undefined ? '/dev/null' : `live/${name}`,
          merged === undefined ? '/dev/null' : `merged/${name}`,
          a,
          b,
          '',
          '',
          { context: 3 },
        ).replace(/^=+\n/, ''),
      );
    };
    const desiredIds = new Set<string>();
    for (const o of rendered.objects) {
      desiredIds.add(op.refId(o));
      const name = `${o.group ? `${o.group}.` : ''}${o.version}.${o.kind}.${o.namespace}.${o.name}`;
      const live = await client.read<KubernetesObject>({
        apiVersion: o.object.apiVersion!,
        kind: o.kind,
        metadata: { name: o.name, namespace: o.namespace },
      });
      let merged: KubernetesObject;
      try {
        merged = await client.apply(o.object, { dryRun: true, force: true });
      } catch (err) {
        process.stderr.write(`${o.file}:${o.line}: ${(err as Error).message}\n`);
        differences++;
        continue;
      }
      emit(name, comparable(live, strip, op), comparable(merged, strip, op));
    }
    if (sourceKey) {
      // What the source applied earlier and git no longer has: a sync with prune removes it.
      const selector = `${op.workflowSourceApi.labels.sourceName}=${src!.metadata.name}`;
      const lists = await Promise.all([
        client.custom.listNamespacedCustomObject({
          group: op.workflowAppApi.group,
          version: op.workflowAppApi.version,
          plural: op.workflowAppApi.plural,
          namespace: targetNamespace,
          labelSelector: selector,
        }) as Promise<{ items: KubernetesObject[] }>,
        client.core.listNamespacedConfigMap({ namespace: targetNamespace, labelSelector: selector }),
        client.core.listNamespacedSecret({ namespace: targetNamespace, labelSelector: selector }),
      ]);
      for (const [i, list] of lists.entries()) {
        const [apiVersion, kind] = [
          [op.workflowAppApi.apiVersion, op.workflowAppApi.kind],
          ['v1', 'ConfigMap'],
          ['v1', 'Secret'],
        ][i]!;
        for (const obj of list.items as KubernetesObject[]) {
          if (obj.metadata?.annotations?.[op.workflowSourceApi.annotations.source] !== sourceKey) continue;
          const group = apiVersion!.includes('/') ? apiVersion!.split('/')[0]! : '';
          const ref = { group, kind: kind!, namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' };
          if (desiredIds.has(op.refId(ref))) continue;
          const version = apiVersion!.slice(apiVersion!.indexOf('/') + 1);
          const name = `${group ? `${group}.` : ''}${version}.${kind}.${ref.namespace}.${ref.name}`;
          emit(name, comparable({ ...obj, apiVersion, kind }, false, op), undefined);
          if (!src!.spec.prune)
            process.stderr.write(`note: ${kind} ${ref.name} is gone from git, but spec.prune is off\n`);
        }
      }
    }
    if (rendered.problems.some((p) => p.status === 'Failed')) return 2;
    return differences > 0 ? 1 : 0;
  } finally {
    cleanup();
  }
}
