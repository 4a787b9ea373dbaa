// wfctl devcluster --data DIR [--port N] [--runtimes FILE]: run the embedded Kubernetes-compatible cluster in the
// foreground. It writes DIR/kubeconfig (usable as-is by kubectl --kubeconfig) and stops cleanly on
// SIGINT/SIGTERM; state in DIR survives restarts.
import type { Command } from 'commander';
import type { ImageTable } from '../../devcluster/index.ts';
import { CliError } from '../output.ts';

interface DevclusterOptions {
  data?: string;
  port?: string;
  logLevel: string;
  nodeAgent: boolean;
  engineImage: string;
  runtimes?: string;
  lbPorts: string;
  tokenAuthFile?: string;
}

export function register(program: Command): void {
  program
    .command('devcluster')
    .description('run devcluster, an embedded Kubernetes-compatible API server, in the foreground')
    .requiredOption('--data <dir>', 'data directory: state.db, pki/, token and the kubeconfig it writes')
    .option('--port <port>', "HTTPS port on 127.0.0.1 (default: the previous run's port, else a free one)")
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--no-node-agent', 'serve the API only: do not run engine Deployments as local processes')
    .option('--engine-image <name>', 'image name (no registry, no tag) whose pods run as the engine', 'workflow-engine')
    .option('--runtimes <file>', 'YAML mapping more image patterns to local command templates (docs/devcluster.md)')
    .option(
      '--lb-ports <service|any>',
      'LoadBalancer Services listen on their own port when it is free (service), or on any free port (any)',
      'service',
    )
    .option(
      '--token-auth-file <file>',
      'static users, as kube-apiserver\'s flag: one token,user,uid,"group1,group2" per line (authorized by RBAC)',
    )
    .action(async (opts: DevclusterOptions) => {
      let port: number | undefined;
      if (opts.port !== undefined) {
        port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new CliError(`--port must be a number from 0 to 65535 (got "${opts.port}")`);
      }
      if (opts.lbPorts !== 'service' && opts.lbPorts !== 'any')
        throw new CliError(`--lb-ports must be service or any (got "${opts.lbPorts}")`);
      if (!['debug', 'info', 'warn', 'error'].includes(opts.logLevel)) {
        throw new CliError(`--log-level must be debug, info, warn or error (got "${opts.logLevel}")`);
      }
      const { pino } = await import('pino');
      const { loadRuntimesFile, startDevCluster } = await import('../../devcluster/index.ts');
      let extraImages: ImageTable | undefined;
      if (opts.runtimes) {
        try {
          extraImages = loadRuntimesFile(opts.runtimes);
        } catch (err) {
          throw new CliError(`--runtimes: ${(err as Error).message}`);
        }
      }
      let cluster;
      try {
        cluster = await startDevCluster({
          dataDir: opts.data!,
          port,
          logger: pino({ level: opts.logLevel }),
          nodeAgent: opts.nodeAgent
            ? { engineImage: opts.engineImage, extraImages, loadBalancerServicePorts: opts.lbPorts === 'service' }
            : false,
          tokenAuthFile: opts.tokenAuthFile,
        });
      } catch (err) {
        throw new CliError(`devcluster did not start: ${(err as Error).message}`);
      }
      process.stdout.write(
        `devcluster is serving at ${cluster.url}\n` +
          `  kubeconfig: ${cluster.kubeconfigPath}\n` +
          `  try:        kubectl --kubeconfig ${cluster.kubeconfigPath} get namespaces\n` +
          `Press Ctrl+C to stop.\n`,
      );
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          process.stdout.write(`\n${signal}: stopping devcluster...\n`);
          cluster!.stop().then(resolve, resolve);
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
    });
}
