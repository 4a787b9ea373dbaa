// wfctl registry validate|index|serve: the git-native plugin registry.
//   validate DIR|FILE   every rule the pre-receive hook and the PR check apply, printed like a compiler
//   index DIR           build the index and write the upstream static layout (index.json, plugins/...)
//   serve --repo R      sync job + HTTP API, until Ctrl+C
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, parseOutputFormat } from '../output.ts';

const loadRegistry = () => import('../../registry-index/index.ts');

export function register(program: Command): void {
  const registry = program
    .command('registry')
    .description('the git-native plugin registry: validate, index and serve a registry repository');

  registry
    .command('validate')
    .description(
      'validate a registry checkout (plugins/*/manifest.json, versions, archives, templates) or one manifest file',
    )
    .argument('[path]', 'registry directory or a manifest.json', '.')
    .option('-o, --output <format>', 'json or yaml (default: compiler-style lines)')
    .option('-q, --quiet', 'print errors only')
    .action(async (path: string, opts: { output?: string; quiet?: boolean }) => {
      const format = parseOutputFormat(opts.output);
      const { validateRegistryPath } = await import('./registry/checkout.ts');
      process.exitCode = await validateRegistryPath(path, { format, quiet: opts.quiet });
    });

  registry
    .command('index')
    .description(
      'build the index of a registry checkout and write the static API (index.json, ' +
        'plugins/<id>/{manifest,versions,latest}.json)',
    )
    .argument('[dir]', 'registry directory', '.')
    .option('--out <dir>', 'where to write the static layout (default: DIR/v1)')
    .option('--rev <ref>', 'index a git revision of DIR instead of the working tree')
    .option('-o, --output <format>', 'json or yaml summary')
    .action(async (dir: string, opts: { out?: string; rev?: string; output?: string }) => {
      const format = parseOutputFormat(opts.output);
      const { indexRegistry } = await import('./registry/checkout.ts');
      await indexRegistry(dir, { out: opts.out, rev: opts.rev, format });
    });

  registry
    .command('serve')
    .description('serve a registry repository over HTTP: sync by schedule and push hook, search, versions, downloads')
    .requiredOption('--repo <url|path>', 'registry git repository: a local path (clone or bare) or an http(s) URL')
    .option('--port <n>', 'HTTP port', '8090')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--branch <name>', 'branch to follow', 'main')
    .option('--interval <cron>', 'background sync schedule (node-cron syntax)', '* * * * *')
    .option('--data <dir>', 'index store and clone cache', '.wfctl/registry')
    .option('--webhook-secret <secret>', 'HMAC secret for POST /api/v1/sync (or WFCTL_WEBHOOK_SECRET)')
    .option('--rate-limit <n>', 'requests per second per client (0 = off)', '100')
    .option('--token <token>', 'token for reading a private remote repository (or WFCTL_REGISTRY_TOKEN)')
    .option('--public-url <url>', 'base URL clients use to reach this server (for archive links)')
    .option('--publish-token <token>', 'bearer token `wfctl publish` uploads archives with (or WFCTL_PUBLISH_TOKEN)')
    .option('--github-token <token>', 'check pull requests: GitHub App installation token or PAT (or GITHUB_TOKEN)')
    .option(
      '--github-webhook-secret <secret>',
      'secret of the pull_request webhook at POST /api/v1/github/webhook (or WFCTL_GITHUB_WEBHOOK_SECRET)',
    )
    .option('--github-api-url <url>', 'GitHub API base URL (GitHub Enterprise)', 'https://api.github.com')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(
      async (opts: {
        repo: string;
        port: string;
        host: string;
        branch: string;
        interval: string;
        data: string;
        webhookSecret?: string;
        rateLimit: string;
        token?: string;
        publicUrl?: string;
        publishToken?: string;
        githubToken?: string;
        githubWebhookSecret?: string;
        githubApiUrl: string;
        logLevel: string;
      }) => {
        const rateLimit = Number(opts.rateLimit);
        if (!Number.isFinite(rateLimit) || rateLimit < 0)
          throw new CliError(
            `--rate-limit must be a number of requests per second, 0 for none (got "${opts.rateLimit}")`,
          );
        const githubToken = opts.githubToken ?? process.env.GITHUB_TOKEN;
        const githubSecret = opts.githubWebhookSecret ?? process.env.WFCTL_GITHUB_WEBHOOK_SECRET;
        if (opts.githubToken && !githubSecret)
          throw new CliError('--github-token needs --github-webhook-secret', {
            hint: 'pull_request webhooks must be signed; set the same secret on the GitHub webhook',
          });
        const { pino } = await import('pino');
        const { startRegistryServer } = await loadRegistry();
        const { redactUrlCredentials } = await import('../../security/index.ts');
        let server;
        try {
          server = await startRegistryServer({
            ...(githubToken && githubSecret
              ? { github: { token: githubToken, webhookSecret: githubSecret, apiUrl: opts.githubApiUrl } }
              : {}),
            repo: opts.repo,
            branch: opts.branch,
            dataDir: resolve(opts.data),
            port: parsePort(opts.port),
            host: opts.host,
            schedule: opts.interval,
            webhookSecret: opts.webhookSecret ?? process.env.WFCTL_WEBHOOK_SECRET,
            rateLimit,
            token: opts.token ?? process.env.WFCTL_REGISTRY_TOKEN,
            publicUrl: opts.publicUrl,
            publishToken: opts.publishToken ?? process.env.WFCTL_PUBLISH_TOKEN,
            logger: pino({ level: opts.logLevel }),
          });
        } catch (err) {
          throw new CliError(`the registry server did not start: ${(err as Error).message}`, {
            hint: 'is the port free? (--port)',
          });
        }
        const first = await server.initialSync;
        process.stdout.write(
          `registry serving ${redactUrlCredentials(opts.repo)} (${opts.branch}) at ${server.url}\n` +
            `  first sync: ` +
            `${first.outcome}${'revision' in first ? ` ${first.revision.slice(0, 12)}` : ''}` +
            `${first.outcome === 'failed' ? ` (${first.error})` : ''}\n` +
            `  try:        curl '${server.url}/api/v1/plugins?q=http'   |   push hook: POST ` +
            `${server.url}/api/v1/sync\n` +
            `Press Ctrl+C to stop.\n`,
        );
        await waitForShutdown('registry server', () => server!.close());
      },
    );
}

/** A TCP port from a flag value (0 = any free port). Shared by the serve commands. */
export function parsePort(value: string, flag = '--port'): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`${flag} must be a number from 0 to 65535 (got "${value}")`);
  return port;
}

/** Block until SIGINT/SIGTERM, then stop the server. */
export function waitForShutdown(what: string, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      process.stdout.write(`\n${signal}: stopping the ${what}...\n`);
      stop().then(resolve, resolve);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
