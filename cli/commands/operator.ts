// wfctl operator [--kubeconfig K] [--namespace N]: run the WorkflowApp operator in the foreground
// against any cluster the kubeconfig names (devcluster or a real one). `wfctl operator crds` prints
// the CustomResourceDefinitions generated from schema/.
import type { Command } from 'commander';
import { CliError } from '../output.ts';

// The operator (and @kubernetes/client-node under it, ~90 MB) loads only when a command here runs,
// not for every wfctl invocation.
const loadOperator = () => import('../../operator/index.ts');

interface OperatorFlags {
  kubeconfig?: string;
  namespace?: string;
  workers: string;
  metricsAddr: string;
  leaderElect: boolean;
  leaseNamespace?: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
  resync: string;
  defaultImage?: string;
  registry?: string;
  pluginPlatform: string;
  logLevel: string;
  sources: boolean;
  gitCache?: string;
  allowLocalRepos?: boolean;
  webhookSecret?: string;
  tenancy: boolean;
  licenseServer?: string;
  licensePublicKey?: string;
  licenseCacheTtl: string;
  licenseGrace: string;
  licenseRefresh: string;
  admissionAddr?: string;
  admissionUrl?: string;
  admissionFailurePolicy: string;
}

/** Tenancy from the flags: license checks, plugin tiers from the registry, the admission webhooks. */
async function tenancyOptions(flags: OperatorFlags, registry: string | undefined) {
  const { readPublicKeyFile } = await import('../../license/index.ts');
  const server = flags.licenseServer ?? process.env.WORKFLOW_LICENSE_SERVER;
  if (server && !/^https?:\/\//.test(server))
    throw new CliError(`--license-server must be an http(s) URL (got "${server}")`);
  const pubPath = flags.licensePublicKey ?? process.env.WORKFLOW_LICENSE_PUBLIC_KEY;
  let publicKey;
  try {
    publicKey = pubPath ? readPublicKeyFile(pubPath) : undefined;
  } catch (err) {
    throw new CliError((err as Error).message, { hint: 'pass the license.pub written by wfctl license keygen' });
  }
  if (!['Fail', 'Ignore'].includes(flags.admissionFailurePolicy))
    throw new CliError(`--admission-failure-policy must be Fail or Ignore (got "${flags.admissionFailurePolicy}")`);
  const url = flags.admissionUrl;
  if (url && url !== 'local' && !/^https:\/\//.test(url))
    throw new CliError(`--admission-url must be an https:// URL or "local" (got "${url}")`);
  const addr = flags.admissionAddr
    ? parseAddr(flags.admissionAddr, '--admission-addr')
    : url
      ? { host: '127.0.0.1', port: 0 }
      : null;
  return {
    registryUrl: registry,
    registryToken: process.env.WFCTL_REGISTRY_TOKEN,
    license: {
      publicKey,
      serverUrl: server,
      cacheTtlMs: parseDurationFlag('--license-cache-ttl', flags.licenseCacheTtl),
      gracePeriodMs: parseDurationFlag('--license-grace', flags.licenseGrace),
      refreshIntervalMs: parseDurationFlag('--license-refresh', flags.licenseRefresh),
    },
    webhook: addr
      ? {
          port: addr.port,
          host: addr.host,
          endpoint: url === 'local' ? ('local' as const) : url ? { url } : undefined,
          failurePolicy: flags.admissionFailurePolicy as 'Fail' | 'Ignore',
        }
      : undefined,
  };
}

/** "15s", "2m", "500ms", "1h" -> milliseconds. */
export function parseDurationFlag(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new CliError(`${flag} must be a duration like 500ms, 15s, 10m or 1h (got "${value}")`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function parseAddr(value: string, flag = '--metrics-addr'): { host: string; port: number } | null {
  if (value === '0' || value === 'off') return null;
  const m = /^(.*):(\d+)$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new CliError(`${flag} must be HOST:PORT or :PORT (got "${value}")`, {
      hint: 'use 0 to serve no metrics',
    });
  }
  return { host: m[1] || '0.0.0.0', port };
}

export function register(program: Command): void {
  const cmd = program
    .command('operator')
    .description(
      'run the operator: WorkflowApps into engine Deployments, Services and ConfigMaps; WorkflowSources ' +
        'synced from git',
    )
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('-n, --namespace <ns>', 'watch only this namespace (default: all namespaces)')
    .option('--workers <n>', 'concurrent reconciles', '4')
    .option('--metrics-addr <addr>', '/metrics, /healthz and /readyz listen address; 0 disables', ':8080')
    .option('--no-leader-elect', 'do not use a Lease (only safe with a single replica)')
    .option('--lease-namespace <ns>', 'namespace of the leader Lease (default: --namespace, $POD_NAMESPACE or default)')
    .option('--lease-duration <d>', 'leader lease duration', '15s')
    .option('--renew-deadline <d>', 'give up leadership when renewals fail this long', '10s')
    .option('--retry-period <d>', 'lease acquire/renew interval', '2s')
    .option('--resync <d>', 're-reconcile every app this often', '10m')
    .option(
      '--default-image <image>',
      'engine image for apps that name none (default: the engine image of this version)',
    )
    .option(
      '--registry <url>',
      'plugin registry that resolves spec.plugins (default: $WFCTL_REGISTRY_URL; token from $WFCTL_REGISTRY_TOKEN)',
    )
    .option('--plugin-platform <os/arch>', 'platform of the engine pods, for plugin archive checksums', 'linux/amd64')
    .option('--no-sources', 'do not run the WorkflowSource (GitOps) controller')
    .option('--git-cache <dir>', 'where sources are fetched to (default: a temp dir)')
    .option('--allow-local-repos', 'let WorkflowSources name a local path as repoURL (development)')
    .option(
      '--webhook-secret <secret>',
      'secret of push webhooks on /hooks/git (GitHub/Gitea HMAC, GitLab token); or $WFCTL_WEBHOOK_SECRET',
    )
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--no-tenancy', 'no WorkflowTenants, licenses or admission webhooks')
    .option(
      '--license-server <url>',
      'license server that validates tenant licenses (default: $WORKFLOW_LICENSE_SERVER)',
    )
    .option(
      '--license-public-key <file>',
      'public key (license.pub) for the offline license check (default: $WORKFLOW_LICENSE_PUBLIC_KEY)',
    )
    .option('--license-cache-ttl <d>', 'how long a license server answer is fresh', '1h')
    .option('--license-grace <d>', 'how long a valid license survives an unreachable license server', '72h')
    .option('--license-refresh <d>', 'background license refresh interval', '1h')
    .option('--admission-addr <addr>', 'serve the admission webhooks here, e.g. :9443 (default: off)')
    .option(
      '--admission-url <url>',
      'register the admission webhooks at this URL instead of the Service workflow-operator-webhook; "local" ' +
        '= https://127.0.0.1:<port> (an operator outside the cluster)',
    )
    .option('--admission-failure-policy <policy>', 'Fail or Ignore, for the validating admission webhook', 'Fail')
    .action(async (flags: OperatorFlags) => {
      const workers = Number(flags.workers);
      if (!Number.isInteger(workers) || workers < 1)
        throw new CliError(`--workers must be a positive integer (got "${flags.workers}")`);
      if (!['debug', 'info', 'warn', 'error'].includes(flags.logLevel))
        throw new CliError(`--log-level must be debug, info, warn or error (got "${flags.logLevel}")`);
      const metrics = parseAddr(flags.metricsAddr);
      const [os, arch, extra] = flags.pluginPlatform.split('/');
      if (!os || !arch || extra !== undefined)
        throw new CliError(`--plugin-platform must be OS/ARCH, e.g. linux/amd64 (got "${flags.pluginPlatform}")`);
      const registry = flags.registry ?? process.env.WFCTL_REGISTRY_URL;
      if (registry && !/^https?:\/\//.test(registry))
        throw new CliError(`--registry must be an http(s) URL (got "${registry}")`);
      const { pino } = await import('pino');
      const logger = pino({ level: flags.logLevel, base: { component: 'workflow-operator' } });
      const tenancy = flags.tenancy ? await tenancyOptions(flags, registry) : false;
      const { engineConfigValidator, registryPluginResolver, startOperator } = await loadOperator();
      const { corePlugins } = await import('../../plugins/index.ts');
      let op;
      try {
        op = await startOperator({
          kubeconfigPath: flags.kubeconfig,
          namespace: flags.namespace,
          workers,
          resyncMs: parseDurationFlag('--resync', flags.resync),
          defaultImage: flags.defaultImage ?? (await import('../../engine/index.ts')).engineImage,
          validateConfig: engineConfigValidator(corePlugins),
          builtinPlugins: corePlugins.map((p) => p.manifest.name),
          ...(registry ? { pluginRegistryUrl: registry } : {}),
          plugins: registry
            ? registryPluginResolver({ url: registry, token: process.env.WFCTL_REGISTRY_TOKEN, platform: { os, arch } })
            : undefined,
          leaderElection: flags.leaderElect
            ? {
                namespace: flags.leaseNamespace,
                leaseDurationMs: parseDurationFlag('--lease-duration', flags.leaseDuration),
                renewDeadlineMs: parseDurationFlag('--renew-deadline', flags.renewDeadline),
                retryPeriodMs: parseDurationFlag('--retry-period', flags.retryPeriod),
              }
            : false,
          sources: flags.sources
            ? {
                cacheDir: flags.gitCache,
                allowLocalRepos: flags.allowLocalRepos,
                webhookSecret: flags.webhookSecret ?? process.env.WFCTL_WEBHOOK_SECRET,
              }
            : false,
          tenancy,
          metricsPort: metrics ? metrics.port : null,
          metricsHost: metrics?.host,
          logger,
        });
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`operator did not start: ${(err as Error).message}`, {
          hint: 'check --kubeconfig and that the cluster is reachable; install the CRD with kubectl apply -k crds',
        });
      }
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          logger.info({ signal }, 'stopping');
          op!.stop().then(resolve, resolve);
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
    });

  cmd
    .command('crds')
    .description('print the CustomResourceDefinitions (WorkflowApp, WorkflowSource), generated from schema/')
    .option('--write <dir>', 'write each CRD to DIR/<name>.yaml instead (how crds/ is regenerated)')
    .action(async (flags: { write?: string }) => {
      const { crdYaml, generatedCrds } = await loadOperator();
      const entries = generatedCrds();
      if (!flags.write) {
        process.stdout.write(entries.map((e) => crdYaml(e)).join('---\n'));
        return;
      }
      const { writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      for (const e of entries) {
        writeFileSync(join(flags.write, e.file), crdYaml(e));
        process.stdout.write(`wrote ${join(flags.write, e.file)}\n`);
      }
    });
}
