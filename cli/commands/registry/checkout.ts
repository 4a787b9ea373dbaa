// wfctl registry validate and index: the work on a registry checkout, loaded by those actions only.
// It imports by name what it uses, so the build's chunk for it holds the rules and the index builder,
// not the server (express, prom-client, pino), git (isomorphic-git: loaded for --rev only) or SQLite:
// `wfctl registry index` starts in a fraction of the time the whole registry-index/ would take.
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  buildIndex,
  DirectoryTree,
  emptyPublishedState,
  formatProblem,
  type Problem,
  publishIndex,
  type RegistryTree,
  summarizeProblems,
  validateManifestBytes,
  writeStaticLayout,
} from '../../../registry-index/index.ts';
import { CliError, type OutputFormat, printStructured, printTable } from '../../output.ts';

/** Prints every problem of a registry checkout or one manifest file; the exit code (1 on errors). */
export async function validateRegistryPath(
  path: string,
  opts: { format: OutputFormat; quiet?: boolean },
): Promise<number> {
  const problems = await validatePath(path);
  const errors = problems.filter((p) => p.severity === 'error');
  if (!printStructured(opts.format, opts.format === 'table' ? undefined : { ok: errors.length === 0, problems })) {
    for (const p of problems) if (!opts.quiet || p.severity === 'error') process.stdout.write(`${formatProblem(p)}\n`);
    process.stdout.write(`${errors.length === 0 ? 'PASS' : 'FAIL'} ${path}: ${summarizeProblems(problems)}\n`);
  }
  return errors.length > 0 ? 1 : 0;
}

/** Builds the index of a checkout (or of a revision) and writes the upstream static layout. */
export async function indexRegistry(
  dir: string,
  opts: { out?: string; rev?: string; format: OutputFormat },
): Promise<void> {
  const tree = await openTree(dir, opts.rev);
  // hrtime, not performance.now(): the first use of `performance` loads perf_hooks (11 modules)
  const started = process.hrtime.bigint();
  const index = await buildIndex(tree);
  const errors = index.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    for (const p of errors) process.stderr.write(`${formatProblem(p)}\n`);
    throw new CliError(`the registry has ${summarizeProblems(index.problems)}; no index written`, {
      hint: `wfctl registry validate ${dir} lists every problem`,
    });
  }
  const published = await publishIndex(emptyPublishedState, index, tree);
  const out = resolve(opts.out ?? join(dir, 'v1'));
  const written = await writeStaticLayout({ index, published, generation: 1, syncedAt: new Date() }, tree, out);
  const plugins = [...index.plugins.values()];
  const summary = {
    revision: index.revision,
    plugins: plugins.length,
    public: plugins.filter((p) => !p.summary.private).length,
    versions: plugins.reduce((n, p) => n + p.versions.length, 0),
    templates: index.templates.size,
    warnings: index.problems.length,
    out,
    files: written.files,
    ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
  };
  if (printStructured(opts.format, opts.format === 'table' ? undefined : summary)) return;
  const { revision, ...counts } = summary;
  printTable(
    ['revision', 'plugins', 'public', 'versions', 'templates', 'warnings', 'files', 'ms'],
    [
      [
        revision.slice(0, 12),
        counts.plugins,
        counts.public,
        counts.versions,
        counts.templates,
        counts.warnings,
        counts.files,
        counts.ms,
      ],
    ],
  );
  process.stdout.write(`wrote ${out}\n`);
}

/** Problems of a registry directory, or of a single manifest file. */
async function validatePath(path: string): Promise<Problem[]> {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new CliError(`${path}: no such file or directory`, {
      hint: 'pass a registry checkout (with plugins/) or a manifest.json',
    });
  }
  if (stat.isFile()) {
    const abs = resolve(path);
    const inVersions = basename(dirname(abs)) === 'versions';
    const pluginDir = inVersions ? dirname(dirname(abs)) : dirname(abs);
    const id = basename(pluginDir);
    const file = inVersions ? `plugins/${id}/versions/${basename(abs)}` : `plugins/${id}/${basename(abs)}`;
    return validateManifestBytes(
      { file, pluginId: id, ...(inVersions ? { fileVersion: basename(abs, '.json') } : {}) },
      readFileSync(abs),
    ).problems;
  }
  const index = await buildIndex(new DirectoryTree(path));
  if (index.files.size === 0 && index.templates.size === 0) {
    throw new CliError(`${path} has no plugins/<name>/manifest.json`, {
      hint: 'run it in a registry checkout, or pass the path of one',
    });
  }
  return index.problems;
}

async function openTree(dir: string, rev: string | undefined): Promise<RegistryTree> {
  if (!rev) return new DirectoryTree(dir);
  // git only when a revision is asked for: the whole registry-index/ (isomorphic-git with it)
  const { GitCommitTree, resolveCommit } = await import('../../../registry-index/index.ts');
  const gitdir = join(dir, '.git');
  const oid = await resolveCommit(gitdir, rev);
  if (!oid)
    throw new CliError(`${rev}: no such revision in ${dir}`, {
      hint: 'use a branch, tag or commit id of that repository',
    });
  return new GitCommitTree({ gitdir }, oid);
}
