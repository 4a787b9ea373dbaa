// wfctl git serve: a smart-HTTP git server for registry and app repositories. Pushes need the token;
// a push to a missing repository creates it; pushes to the registry repository are validated by the
// registry rules (pre-receive) and then announced to each --notify URL.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../output.ts';
import { parsePort, waitForShutdown } from './registry.ts';

interface GitServeOptions {
  data: string;
  port: string;
  host: string;
  token?: string;
  registryRepo: string;
  notify: string[];
  notifySecret?: string;
  anonymousRead: boolean;
  logLevel: string;
}

export function register(program: Command): void {
  const git = program.command('git').description("the project's own git server");
  git
    .command('serve')
    .description('serve bare repositories under DIR over smart HTTP (git clone/push)')
    .requiredOption('--data <dir>', 'directory holding the bare repositories (<name>.git)')
    .option('--port <n>', 'HTTP port', '8091')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option(
      '--token <token>',
      'token required to push (git password); or WFCTL_GIT_TOKEN. Without one, pushes are refused',
    )
    .option('--registry-repo <name>', 'the repository validated as a plugin registry', 'registry')
    .option(
      '--notify <url>',
      'POST a push event here after each push (repeatable), e.g. http://127.0.0.1:8090/api/v1/sync',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--notify-secret <secret>', 'sign notifications (X-Hub-Signature-256) with this secret')
    .option('--no-anonymous-read', 'require the token for clone and fetch too')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (opts: GitServeOptions) => {
      for (const url of opts.notify) {
        if (!/^https?:\/\//.test(url)) throw new CliError(`--notify ${url}: expected an http(s) URL`);
      }
      const token = opts.token ?? process.env.WFCTL_GIT_TOKEN;
      const { pino } = await import('pino');
      const { startGitServer } = await import('../../registry-index/index.ts');
      let server;
      try {
        server = await startGitServer({
          dataDir: resolve(opts.data),
          port: parsePort(opts.port),
          host: opts.host,
          token,
          anonymousRead: opts.anonymousRead,
          registryRepo: opts.registryRepo,
          notify: opts.notify,
          notifySecret: opts.notifySecret,
          logger: pino({ level: opts.logLevel }),
        });
      } catch (err) {
        throw new CliError(`the git server did not start: ${(err as Error).message}`, {
          hint: 'is the port free? (--port)',
        });
      }
      process.stdout.write(
        `git server at ${server.url} serving ${resolve(opts.data)}\n` +
          `  registry repo: ${server.repoUrl(opts.registryRepo)} (pushes validated)\n` +
          (token
            ? `  push with:     git push http://wfctl:<token>@${server.url.slice(7)}/${opts.registryRepo}.git main\n`
            : '  pushes are disabled: pass --token to allow them\n') +
          `Press Ctrl+C to stop.\n`,
      );
      await waitForShutdown('git server', () => server!.close());
    });
}
