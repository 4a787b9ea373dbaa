// wfctl plugin: search and info query a registry server (wfctl registry serve) over HTTP (--registry
// URL, else WFCTL_REGISTRY_URL, else http://127.0.0.1:8090); the project commands (init, test, docs),
// the install commands (install, list, update, remove) and yank live in their own files.
import type { Command } from 'commander';
import { CliError, parseOutputFormat, printStructured, printTable } from '../output.ts';
import { call, client, defaultRegistry } from '../registry-client.ts';
import { registerInstallCommands } from './plugin-install.ts';
import { registerProjectCommands } from './plugin-project.ts';
import { registerYank } from './publish.ts';

export function register(program: Command): void {
  const plugin = program.command('plugin').description('find plugins in a registry, and start new ones');
  registerProjectCommands(plugin);
  registerInstallCommands(plugin);
  registerYank(plugin);

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

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
