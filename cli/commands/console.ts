// wfctl console --kubeconfig K --registry URL: the web console alone, against any cluster (what
// `wfctl up` serves beside the rest of the platform). Login with --token, WFCTL_CONSOLE_TOKEN, or
// the token printed at start.
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { CliError } from '../output.ts';
import { parsePort, waitForShutdown } from './registry.ts';

interface ConsoleFlags {
  kubeconfig?: string;
  registry?: string;
  license?: string;
  port: string;
  host: string;
  token?: string;
  logLevel: string;
}

export function register(program: Command): void {
  program
    .command('console')
    .description('serve the web console for a cluster: apps, sources, the plugin registry and tenants')
    .option('--kubeconfig <file>', 'cluster to show (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--registry <url>', 'plugin registry API for the Registry pages (default: $WFCTL_REGISTRY_URL)')
    .option('--license <url>', 'license server, shown on the overview')
    .option('--port <n>', 'HTTP port', '7700')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--token <token>', 'login token, at least 16 characters (default: $WFCTL_CONSOLE_TOKEN, else a new one)')
    .option('--log-level <level>', 'debug, info, warn or error', 'warn')
    .action(async (flags: ConsoleFlags) => {
      if (!['debug', 'info', 'warn', 'error'].includes(flags.logLevel))
        throw new CliError(`--log-level must be debug, info, warn or error (got "${flags.logLevel}")`);
      const registryUrl = flags.registry ?? process.env.WFCTL_REGISTRY_URL;
      for (const [flag, url] of [
        ['--registry', registryUrl],
        ['--license', flags.license],
      ] as const)
        if (url && !/^https?:\/\//.test(url)) throw new CliError(`${flag} must be an http(s) URL (got "${url}")`);
      const token = flags.token ?? process.env.WFCTL_CONSOLE_TOKEN ?? randomBytes(24).toString('base64url');
      if (token.length < 16) throw new CliError('the console token must be at least 16 characters');
      const { loadKubeConfig } = await import('../../operator/index.ts');
      const { startConsole } = await import('../../console/index.ts');
      const { pino } = await import('pino');
      let kubeConfig;
      try {
        kubeConfig = loadKubeConfig(flags.kubeconfig);
      } catch (err) {
        throw new CliError(`cannot load the kubeconfig: ${(err as Error).message}`, {
          hint: 'pass --kubeconfig FILE (wfctl up writes one under .wfctl/cluster/)',
        });
      }
      let server;
      try {
        server = await startConsole({
          kubeConfig,
          token,
          registryUrl,
          licenseUrl: flags.license,
          port: parsePort(flags.port),
          host: flags.host,
          logger: pino({ level: flags.logLevel }),
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new CliError(`the console did not start: ${e.message}`, {
          hint: e.code === 'EADDRINUSE' ? `port ${flags.port} is taken: pick another with --port` : undefined,
        });
      }
      process.stdout.write(
        `console at ${server.url}\n` +
          `  cluster:     ${kubeConfig.getCurrentCluster()?.server ?? '(unknown)'}\n` +
          `  registry:    ${registryUrl ?? '(none: the Registry pages are off; pass --registry URL)'}\n` +
          (flags.token || process.env.WFCTL_CONSOLE_TOKEN ? '' : `  login token: ${token}\n`) +
          'Press Ctrl-C to stop.\n',
      );
      await waitForShutdown('console', () => server!.close());
      process.exit(0);
    });
}
