// wfctl plugin search|info: query a registry server (wfctl registry serve) over HTTP.
// The registry is --registry URL, else WFCTL_REGISTRY_URL, else http://127.0.0.1:8090.
import type { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RegistryClient } from '../../registry-index/index.ts';
import { CliError, parseOutputFormat, printStructured, printTable } from '../output.ts';

const loadRegistry = () => import('../../registry-index/index.ts');
const defaultRegistry = 'http://127.0.0.1:8090';

async function client(url: string | undefined): Promise<RegistryClient> {
  const baseUrl = url ?? process.env.WFCTL_REGISTRY_URL ?? defaultRegistry;
  if (!/^https?:\/\//.test(baseUrl))
    throw new CliError(`registry URL "${baseUrl}" must start with http:// or https://`);
  const { RegistryClient } = await loadRegistry();
  return new RegistryClient({ baseUrl, token: process.env.WFCTL_REGISTRY_TOKEN });
}

/** Registry errors become user errors with the server's own hint. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  const { RegistryError } = await loadRegistry();
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RegistryError) {
      const hint =
        err.status === 404 && /plugin ".*" not found/.test(err.message)
          ? 'find the name with: wfctl plugin search <words>'
          : err.hint;
      throw new CliError(err.message, { hint });
    }
    throw err;
  }
}

export function register(program: Command): void {
  const plugin = program.command('plugin').description('find plugins in a registry, and start new ones');
  registerInit(plugin);
  registerPublish(program);

  plugin
    .command('search')
    .description('ranked search over plugin names, keywords and descriptions')
    .argument('[query]', 'words to look for (empty lists everything)', '')
    .option('--registry <url>', `registry server (default: WFCTL_REGISTRY_URL or ${defaultRegistry})`)
    .option('--tier <tier>', 'core, community or premium')
    .option('--type <type>', 'builtin, external or ui')
    .option('--category <category>', 'e.g. integrations, security')
    .option('--page <n>', 'result page', '1')
    .option('--per-page <n>', 'results per page (max 100)', '20')
    .option('-o, --output <format>', 'json or yaml')
    .action(
      async (
        query: string,
        opts: {
          registry?: string;
          tier?: string;
          type?: string;
          category?: string;
          page: string;
          perPage: string;
          output?: string;
        },
      ) => {
        const format = parseOutputFormat(opts.output);
        const page = Number(opts.page);
        const perPage = Number(opts.perPage);
        if (!Number.isInteger(page) || page < 1)
          throw new CliError(`--page must be a positive integer (got "${opts.page}")`);
        if (!Number.isInteger(perPage) || perPage < 1)
          throw new CliError(`--per-page must be a positive integer (got "${opts.perPage}")`);
        const registry = await client(opts.registry);
        const { total, items } = await call(() =>
          registry.search(query, {
            tier: opts.tier,
            type: opts.type,
            category: opts.category,
            page,
            perPage,
          }),
        );
        if (printStructured(format, { total, page, items })) return;
        if (items.length === 0) {
          process.stdout.write(query ? `no plugins match "${query}"\n` : 'the registry has no plugins\n');
          return;
        }
        printTable(
          ['name', 'version', 'tier', 'type', 'description'],
          items.map((p) => [p.name, p.version, p.tier, p.type, truncate(p.description, 70)]),
        );
        if (total > page * perPage)
          process.stdout.write(
            `(${total} matches; showing ${(page - 1) * perPage + 1}-${(page - 1) * perPage + items.length}; ` +
              `--page ${page + 1} for more)\n`,
          );
      },
    );

  plugin
    .command('info')
    .description('details and versions of a plugin; NAME@RANGE shows what the range resolves to')
    .argument('<name>', 'plugin name (directory id or manifest name), optionally @range, e.g. http@^1.0')
    .option('--registry <url>', `registry server (default: WFCTL_REGISTRY_URL or ${defaultRegistry})`)
    .option('-o, --output <format>', 'json or yaml')
    .action(async (spec: string, opts: { registry?: string; output?: string }) => {
      const format = parseOutputFormat(opts.output);
      const at = spec.indexOf('@', 1);
      const name = at === -1 ? spec : spec.slice(0, at);
      const range = at === -1 ? undefined : spec.slice(at + 1);
      const c = await client(opts.registry);
      const doc = await call(() => c.plugin(name));
      const resolved = range !== undefined ? await call(() => c.resolve(name, range)) : undefined;
      if (printStructured(format, resolved ? { ...doc, resolved: { range, version: resolved.version } } : doc)) return;
      const s = doc.summary;
      const lines: Array<[string, string | null | undefined]> = [
        ['name', doc.name + (doc.manifestName !== doc.name ? ` (manifest name ${doc.manifestName})` : '')],
        ['description', s.description],
        ['latest', doc.distTags.latest ?? '(none)'],
        ...(resolved ? [[`resolves ${range}`, resolved.version] as [string, string]] : []),
        ['tier / type', `${s.tier} / ${s.type}`],
        ['status', s.status],
        ['category', s.category],
        ['license', s.license],
        ['author', s.author],
        ['repository', s.repository],
        ['min engine', s.minEngineVersion],
        ['keywords', s.keywords.join(', ')],
        ['module types', s.capabilities.moduleTypes.join(', ')],
        ['step types', s.capabilities.stepTypes.join(', ')],
      ];
      for (const [k, v] of lines) if (v) process.stdout.write(`${`${k}:`.padEnd(18)}${v}\n`);
      process.stdout.write('\n');
      printTable(
        ['version', 'published', 'platforms', 'notes'],
        doc.versions.map((v) => [
          v.version,
          v.publishedAt?.slice(0, 10) ?? '',
          v.downloads
            .map((d) => `${d.os}/${d.arch}`)
            .filter((p, i, all) => all.indexOf(p) === i)
            .join(' ') || '-',
          [
            v.yanked ? `yanked: ${v.yanked.reason}` : '',
            v.prerelease ? 'prerelease' : '',
            v.inTree ? '' : 'removed from repo',
            v.refusedChange ? 'change refused (immutable)' : '',
          ]
            .filter(Boolean)
            .join('; '),
        ]),
      );
    });
}

function registerInit(plugin: Command): void {
  plugin
    .command('init')
    .description('create a plugin directory with a manifest.json that passes the registry rules')
    .argument('<name>', 'plugin name: lower-case letters, digits and dashes')
    .option('--dir <dir>', 'parent directory', '.')
    .option('--author <author>', 'author or organisation', process.env.USER ?? 'unknown')
    .option('--description <text>', 'one-line description')
    .option('--type <type>', 'external, builtin or ui', 'external')
    .option('--tier <tier>', 'community, core or premium', 'community')
    .option('--category <category>', 'registry category', 'other')
    .action(
      async (
        name: string,
        opts: { dir: string; author: string; description?: string; type: string; tier: string; category: string },
      ) => {
        const { formatProblem, validateManifestBytes } = await loadRegistry();
        const dir = resolve(opts.dir, name);
        if (existsSync(join(dir, 'manifest.json')))
          throw new CliError(`${join(dir, 'manifest.json')} already exists`, { hint: 'pick another name or --dir' });
        const manifest = {
          name,
          version: '0.1.0',
          author: opts.author,
          description: opts.description ?? `The ${name} plugin`,
          type: opts.type,
          tier: opts.tier,
          license: 'MIT',
          category: opts.category,
          keywords: [] as string[],
          capabilities: {
            moduleTypes: [] as string[],
            stepTypes: [] as string[],
            triggerTypes: [] as string[],
            workflowHandlers: [] as string[],
          },
        };
        const text = `${JSON.stringify(manifest, null, 2)}\n`;
        const problems = validateManifestBytes(
          { file: `plugins/${name}/manifest.json`, pluginId: name },
          Buffer.from(text),
        ).problems.filter((p) => p.severity === 'error');
        if (problems.length > 0)
          throw new CliError(`cannot create plugin "${name}":\n${problems.map(formatProblem).join('\n')}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'manifest.json'), text);
        process.stdout.write(
          `created ${join(dir, 'manifest.json')}\n  next: fill in capabilities, then  wfctl registry validate ` +
            `${join(dir, 'manifest.json')}\n  publish:   wfctl publish --dir ${dir} --registry-git <url>\n`,
        );
      },
    );
}

function registerPublish(program: Command): void {
  program
    .command('publish')
    .description(
      'publish a plugin version to a git registry: keeps the previous version in versions/, validates, ' +
        'commits and pushes',
    )
    .option('--dir <dir>', 'plugin directory holding manifest.json', '.')
    .requiredOption(
      '--registry-git <url>',
      'clone URL of the registry repository, e.g. http://127.0.0.1:8091/registry.git',
    )
    .option('--branch <name>', 'registry branch', 'main')
    .option('--token <token>', 'push token (or WFCTL_GIT_TOKEN)')
    .option('--archive <file>', 'a release archive (.tar.gz) to store in the registry, pinned by sha256')
    .option('--os <os>', 'platform of --archive', 'linux')
    .option('--arch <arch>', 'platform of --archive', 'amd64')
    .option('--dry-run', 'validate and show what would be pushed')
    .action(
      async (opts: {
        dir: string;
        registryGit: string;
        branch: string;
        token?: string;
        archive?: string;
        os: string;
        arch: string;
        dryRun?: boolean;
      }) => {
        const manifestPath = join(resolve(opts.dir), 'manifest.json');
        if (!existsSync(manifestPath))
          throw new CliError(`${manifestPath} not found`, {
            hint: 'create one with wfctl plugin init NAME, or pass --dir',
          });
        if (opts.archive && !existsSync(opts.archive)) throw new CliError(`--archive ${opts.archive}: no such file`);
        const { PublishError, formatProblem, publishToGitRegistry } = await loadRegistry();
        let result;
        try {
          result = await publishToGitRegistry({
            manifestPath,
            registryUrl: opts.registryGit,
            branch: opts.branch,
            token: opts.token ?? process.env.WFCTL_GIT_TOKEN,
            ...(opts.archive ? { archive: { path: opts.archive, os: opts.os, arch: opts.arch } } : {}),
            dryRun: opts.dryRun,
          });
        } catch (err) {
          if (!(err instanceof PublishError)) throw err;
          for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
          throw new CliError(err.message, { hint: err.hint });
        }
        process.stdout.write(result.output.endsWith('\n') || !result.output ? result.output : `${result.output}\n`);
        if (!result.ok)
          throw new CliError(`the registry refused ${result.id}@${result.version}`, {
            hint: 'the remote: lines above say why',
          });
        if (!opts.dryRun)
          process.stdout.write(
            `published ` +
              `${result.id}@${result.version}${result.previous ? ` (${result.previous} kept in versions/)` : ''}\n`,
          );
      },
    );
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
