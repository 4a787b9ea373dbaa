// wfctl publish: put a plugin version into a registry.
//   - a plugin project (manifest.json with engineApi): validated, built, packed deterministically,
//     signed with the publisher's key, uploaded to the registry's blob store, and submitted by
//     `git push` to the registry repository (--registry-git) or as a GitHub pull request (--pr);
//   - a bare manifest (upstream style, optionally with --archive): the manifest-only publish.
// wfctl plugin yank NAME@VERSION: mark a published version yanked, by git push.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from '../output.ts';

interface PublishFlags {
  dir: string;
  registryGit?: string;
  branch: string;
  token?: string;
  archive?: string;
  os: string;
  arch: string;
  dryRun?: boolean;
  key?: string;
  registry?: string;
  publishToken?: string;
  pr?: boolean;
  githubRepo?: string;
  githubToken?: string;
  githubAppId?: string;
  githubAppKey?: string;
  githubInstallationId?: string;
  githubApiUrl?: string;
}

async function asCliError<T>(fn: () => Promise<T>): Promise<T> {
  const { PublishError, PackError, SubmissionError, RegistryError, formatProblem } = await import(
    '../../registry-index/index.ts'
  );
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PublishError || err instanceof PackError) {
      for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
      throw new CliError(err.message, { hint: err.hint });
    }
    if (err instanceof SubmissionError || err instanceof RegistryError)
      throw new CliError(err.message, { hint: err.hint });
    throw err;
  }
}

function githubAuth(flags: PublishFlags) {
  const appId = flags.githubAppId ?? process.env.GITHUB_APP_ID;
  if (appId) {
    const keyFile = flags.githubAppKey ?? process.env.GITHUB_APP_PRIVATE_KEY_FILE;
    const installationId = flags.githubInstallationId ?? process.env.GITHUB_APP_INSTALLATION_ID;
    if (!keyFile || !installationId)
      throw new CliError('GitHub App authentication needs --github-app-key FILE and --github-installation-id');
    if (!existsSync(keyFile)) throw new CliError(`--github-app-key ${keyFile}: no such file`);
    return { appId, privateKey: readFileSync(keyFile, 'utf8'), installationId };
  }
  const token = flags.githubToken ?? process.env.GITHUB_TOKEN;
  if (!token)
    throw new CliError('--pr needs GitHub credentials', {
      hint:
        'a token (--github-token or GITHUB_TOKEN) or a GitHub App (--github-app-id, --github-app-key, ' +
        '--github-installation-id)',
    });
  return { token };
}

export function register(program: Command): void {
  program
    .command('publish')
    .description(
      'publish a plugin version to a git registry: keeps the previous version in versions/, validates, commits ' +
        'and pushes',
    )
    .option('--dir <dir>', 'plugin directory holding manifest.json', '.')
    .option('--registry-git <url>', 'clone URL of the registry repository, e.g. http://127.0.0.1:8091/registry.git')
    .option('--branch <name>', 'registry branch', 'main')
    .option('--token <token>', 'push token (or WFCTL_GIT_TOKEN)')
    .option('--archive <file>', 'a release archive (.tar.gz) to store in the registry, pinned by sha256')
    .option('--os <os>', 'platform of --archive', 'linux')
    .option('--arch <arch>', 'platform of --archive', 'amd64')
    .option('--dry-run', 'validate and show what would be pushed')
    .option('--key <file>', 'publisher signing key (default: $WFCTL_SIGNING_KEY or ~/.config/wfctl/keys/default.key)')
    .option('--registry <url>', 'registry server API: blob store and published versions (or WFCTL_REGISTRY_URL)')
    .option('--publish-token <token>', "the registry server's upload token (or WFCTL_PUBLISH_TOKEN)")
    .option('--pr', 'submit a GitHub pull request instead of pushing')
    .option('--github-repo <owner/repo>', 'with --pr: the registry repository on GitHub')
    .option(
      '--github-token <token>',
      'with --pr: a token with contents and pull-request write access (or GITHUB_TOKEN)',
    )
    .option('--github-app-id <id>', 'with --pr: authenticate as this GitHub App (or GITHUB_APP_ID)')
    .option('--github-app-key <file>', "with --pr: the App's private key PEM (or GITHUB_APP_PRIVATE_KEY_FILE)")
    .option('--github-installation-id <id>', "with --pr: the App's installation id (or GITHUB_APP_INSTALLATION_ID)")
    .option('--github-api-url <url>', 'with --pr: GitHub API base URL (GitHub Enterprise)', 'https://api.github.com')
    .action(async (flags: PublishFlags) => {
      const dir = resolve(flags.dir);
      const manifestPath = join(dir, 'manifest.json');
      if (!existsSync(manifestPath))
        throw new CliError(`${manifestPath} not found`, {
          hint: 'create a plugin with wfctl plugin init NAME, or pass --dir',
        });
      if (!flags.pr && !flags.registryGit)
        throw new CliError('say where to publish: --registry-git URL (git push) or --pr --github-repo OWNER/REPO');
      const reg = await import('../../registry-index/index.ts');
      if (!reg.isPluginProject(dir)) return publishManifest(flags, manifestPath);
      if (flags.archive)
        throw new CliError('--archive is for bare manifests; a plugin project is packed by wfctl publish');
      if (flags.pr && !flags.githubRepo) throw new CliError('--pr needs --github-repo OWNER/REPO');
      const { readSigningKey } = await import('../signing-keys.ts');
      const { client } = await import('../registry-client.ts');
      const key = await readSigningKey(flags.key ? resolve(flags.key) : undefined);
      const registryUrl = flags.registry ?? process.env.WFCTL_REGISTRY_URL;
      const started = performance.now();
      const result = await asCliError(async () =>
        reg.publishPlugin({
          dir,
          key,
          ...(registryUrl ? { api: await client(registryUrl) } : {}),
          publishToken: flags.publishToken ?? process.env.WFCTL_PUBLISH_TOKEN,
          dryRun: flags.dryRun,
          ...(flags.pr
            ? {
                pr: {
                  repository: flags.githubRepo!,
                  base: flags.branch,
                  apiUrl: flags.githubApiUrl,
                  auth: githubAuth(flags),
                },
              }
            : {
                git: {
                  url: flags.registryGit!,
                  branch: flags.branch,
                  token: flags.token ?? process.env.WFCTL_GIT_TOKEN,
                },
              }),
        }),
      );
      const what = `${result.id}@${result.version}`;
      process.stdout.write(
        `packed ${what}: ${result.size} bytes, sha256 ${result.sha256}, signed by ${result.signer}\n  files: ` +
          `${result.files.join(', ')}\n`,
      );
      if (result.push) {
        const out = result.push.output;
        if (out) process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
        if (!result.push.ok)
          throw new CliError(`the registry refused ${what}`, { hint: 'the remote: lines above say why' });
      }
      if (result.dryRun) return;
      if (result.pullRequest)
        process.stdout.write(`opened pull request #${result.pullRequest.number}: ${result.pullRequest.url}\n`);
      else
        process.stdout.write(
          `published ${what}${result.push?.previous ? ` (${result.push.previous} kept in versions/)` : ''} in ` +
            `${Math.round(performance.now() - started)} ms\n`,
        );
    });
}

/** The manifest-only publish (no code: an upstream-style manifest, optionally with a release archive). */
async function publishManifest(flags: PublishFlags, manifestPath: string): Promise<void> {
  if (flags.pr) throw new CliError('--pr publishes plugin projects (a manifest with "engineApi")');
  if (flags.archive && !existsSync(flags.archive)) throw new CliError(`--archive ${flags.archive}: no such file`);
  const { publishToGitRegistry } = await import('../../registry-index/index.ts');
  const result = await asCliError(() =>
    publishToGitRegistry({
      manifestPath,
      registryUrl: flags.registryGit!,
      branch: flags.branch,
      token: flags.token ?? process.env.WFCTL_GIT_TOKEN,
      ...(flags.archive ? { archive: { path: flags.archive, os: flags.os, arch: flags.arch } } : {}),
      dryRun: flags.dryRun,
    }),
  );
  process.stdout.write(result.output.endsWith('\n') || !result.output ? result.output : `${result.output}\n`);
  if (!result.ok)
    throw new CliError(`the registry refused ${result.id}@${result.version}`, {
      hint: 'the remote: lines above say why',
    });
  if (!flags.dryRun)
    process.stdout.write(
      `published ${result.id}@${result.version}${result.previous ? ` (${result.previous} kept in versions/)` : ''}\n`,
    );
}

export function registerYank(plugin: Command): void {
  plugin
    .command('yank')
    .description(
      'mark a published version yanked: still downloadable for existing locks, never chosen by a new resolution',
    )
    .argument('<spec>', 'NAME@VERSION')
    .requiredOption('--registry-git <url>', 'clone URL of the registry repository')
    .option('--reason <text>', 'why (shown to users)', 'withdrawn by the publisher')
    .option('--branch <name>', 'registry branch', 'main')
    .option('--token <token>', 'push token (or WFCTL_GIT_TOKEN)')
    .option('--dry-run', 'validate and show what would be pushed')
    .action(
      async (
        spec: string,
        flags: { registryGit: string; reason: string; branch: string; token?: string; dryRun?: boolean },
      ) => {
        const reg = await import('../../registry-index/index.ts');
        const { name, range } = reg.parsePluginSpec(spec);
        if (!range || !/^\d+\.\d+\.\d+/.test(range))
          throw new CliError(`"${spec}" must name an exact version: NAME@1.2.3`);
        const result = await asCliError(() =>
          reg.yankVersion({
            registryUrl: flags.registryGit,
            branch: flags.branch,
            token: flags.token ?? process.env.WFCTL_GIT_TOKEN,
            name,
            version: range,
            reason: flags.reason,
            dryRun: flags.dryRun,
          }),
        );
        if (result.output) process.stdout.write(result.output.endsWith('\n') ? result.output : `${result.output}\n`);
        if (!result.ok) throw new CliError(`the registry refused the yank of ${result.id}@${result.version}`);
        if (!flags.dryRun) process.stdout.write(`yanked ${result.id}@${result.version}: ${flags.reason}\n`);
      },
    );
}
