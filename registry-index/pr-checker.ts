// The pull-request checker: on a `pull_request` webhook it reads the changed registry files at the
// head commit through the GitHub API (@octokit/rest), indexes them on top of the registry's current
// index with the same validator as everywhere, and reports back: a check run with line annotations,
// or, where check runs are not allowed (a personal token), a commit status plus a review. Pure
// version bumps (only version, download URLs and sha256 changed) are labelled as such.
import type { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import type { Manifest } from './manifest.ts';
import { formatProblem, isError, summarizeProblems, type Problem } from './problem.ts';
import { allRefusals, publishIndex } from './published.ts';
import { classify, updateIndex } from './registry-index.ts';
import { GitCommitTree } from './git-tree.ts';
import type { RegistrySnapshot } from './sync.ts';
import { gitBlobOid, type RegistryTree, type TreeChange, type TreeEntry } from './tree.ts';
import { compareVersionsDescending } from './version-order.ts';

export interface PullRequestEvent {
  action: string;
  number: number;
  pull_request: {
    number: number;
    head: { sha: string; repo: { name: string; owner: { login: string } } | null };
    base: { sha: string; ref: string };
  };
  repository: { name: string; owner: { login: string } };
}

export interface PrCheckerOptions {
  octokit: Octokit;
  /** The registry's served snapshot: the base the pull request is checked against. */
  base: () => RegistrySnapshot | undefined;
  /** Reads blobs of the base revision (archives, positions in unchanged files). */
  baseTree: (revision: string) => RegistryTree;
  logger: Logger;
  checkName?: string;
}

export interface PrCheckResult {
  conclusion: 'success' | 'failure' | 'skipped';
  title: string;
  problems: Problem[];
  versionBumps: string[];
  reportedWith: 'check-run' | 'status' | 'none';
}

const handledActions = new Set(['opened', 'synchronize', 'reopened', 'ready_for_review']);
const annotationBatch = 50;

export class PullRequestChecker {
  private readonly checkName: string;

  constructor(private readonly opts: PrCheckerOptions) {
    this.checkName = opts.checkName ?? 'registry/validate';
  }

  async handle(event: PullRequestEvent): Promise<PrCheckResult> {
    if (!handledActions.has(event.action))
      return {
        conclusion: 'skipped',
        title: `action "${event.action}" is not checked`,
        problems: [],
        versionBumps: [],
        reportedWith: 'none',
      };
    const { octokit } = this.opts;
    const owner = event.repository.owner.login;
    const repo = event.repository.name;
    const headSha = event.pull_request.head.sha;
    const checkRunId = await this.startCheckRun(owner, repo, headSha);

    const base = this.opts.base();
    if (!base) throw new Error('the registry has no index yet; the pull request cannot be checked');
    const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
      owner,
      repo,
      pull_number: event.pull_request.number,
      per_page: 100,
    });
    const headRepo = event.pull_request.head.repo ?? event.repository;
    const overlay = new Map<string, Uint8Array>();
    const changes: TreeChange[] = [];
    const baseOid = (path: string) => {
      const place = classify(path);
      if (place.kind === 'template') return base.index.templates.get(path)?.oid;
      if (place.kind === 'key') return base.index.keys.get(path)?.oid;
      return 'pluginId' in place ? base.index.files.get(place.pluginId)?.get(path)?.oid : undefined;
    };
    for (const f of files) {
      const paths = f.status === 'renamed' && f.previous_filename ? [f.previous_filename, f.filename] : [f.filename];
      for (const path of paths) {
        if (classify(path).kind === 'ignored') continue;
        const before = baseOid(path);
        if (f.status === 'removed' || path !== f.filename) {
          if (before) changes.push({ path, before });
          continue;
        }
        const bytes = await this.readAt(headRepo.owner.login, headRepo.name, path, headSha);
        overlay.set(path, bytes);
        changes.push({ path, ...(before ? { before } : {}), after: gitBlobOid(bytes) });
      }
    }
    const tree = new OverlayTree(this.opts.baseTree(base.index.revision), overlay, headSha);
    const index = await updateIndex(base.index, tree, changes);
    const touched = new Set(changes.map((c) => classify(c.path)).flatMap((p) => ('pluginId' in p ? [p.pluginId] : [])));
    const published = await publishIndex(base.published, index, tree, touched);
    const changedPaths = new Set(changes.map((c) => c.path));
    const problems = [
      ...index.problems.filter((p) => isError(p) || changedPaths.has(p.file)),
      ...allRefusals(published)
        .filter((r) => touched.has(r.id))
        .map((r) => r.problem),
    ];
    const versionBumps = this.versionBumps(base, index, changes);
    const failed = problems.some(isError);
    const title = failed
      ? `Registry validation failed: ${summarizeProblems(problems)}`
      : versionBumps.length > 0 && versionBumps.length === touched.size
        ? `Version bump: ${versionBumps.join(', ')}`
        : `Registry validation passed${problems.length ? ` (${summarizeProblems(problems)})` : ''}`;
    const summary = [
      failed
        ? 'The registry rules found errors; they are annotated on the changed lines.'
        : 'All changed manifests pass the registry rules.',
      versionBumps.length
        ? `\nVersion-only bumps (only version, download URLs and checksums changed): ` +
          `${versionBumps.map((b) => `\`${b}\``).join(', ')}`
        : '',
      problems.length ? `\n\`\`\`\n${problems.map(formatProblem).join('\n')}\n\`\`\`` : '',
    ].join('\n');
    const conclusion = failed ? 'failure' : 'success';
    let reportedWith: PrCheckResult['reportedWith'];
    if (checkRunId !== undefined) {
      await this.finishCheckRun(owner, repo, checkRunId, conclusion, title, summary, problems);
      reportedWith = 'check-run';
    } else {
      await this.reportWithStatus(
        owner,
        repo,
        event.pull_request.number,
        headSha,
        conclusion,
        title,
        summary,
        problems,
      );
      reportedWith = 'status';
    }
    this.opts.logger.info(
      { pr: event.pull_request.number, conclusion, problems: problems.length, reportedWith },
      'pull request checked',
    );
    return { conclusion, title, problems, versionBumps, reportedWith };
  }

  /** A check run, or undefined when the token may not create one (only GitHub Apps can). */
  private async startCheckRun(owner: string, repo: string, headSha: string): Promise<number | undefined> {
    try {
      const { data } = await this.opts.octokit.rest.checks.create({
        owner,
        repo,
        name: this.checkName,
        head_sha: headSha,
        status: 'in_progress',
      });
      return data.id;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 403 || status === 404) return undefined;
      throw err;
    }
  }

  private async finishCheckRun(
    owner: string,
    repo: string,
    id: number,
    conclusion: 'success' | 'failure',
    title: string,
    summary: string,
    problems: Problem[],
  ): Promise<void> {
    const annotations = problems.map((p) => ({
      path: p.file,
      start_line: p.line,
      end_line: p.line,
      ...(p.line > 0 ? { start_column: p.column, end_column: p.column } : {}),
      annotation_level: isError(p) ? ('failure' as const) : ('warning' as const),
      title: p.rule,
      message: `${p.message}\nhint: ${p.hint}`,
    }));
    // GitHub takes at most 50 annotations per request; later updates append.
    for (let i = 0; i === 0 || i < annotations.length; i += annotationBatch) {
      const last = i + annotationBatch >= annotations.length;
      await this.opts.octokit.rest.checks.update({
        owner,
        repo,
        check_run_id: id,
        ...(last ? { status: 'completed' as const, conclusion } : {}),
        output: { title, summary: summary.slice(0, 65_000), annotations: annotations.slice(i, i + annotationBatch) },
      });
    }
  }

  private async reportWithStatus(
    owner: string,
    repo: string,
    pr: number,
    sha: string,
    conclusion: 'success' | 'failure',
    title: string,
    summary: string,
    problems: Problem[],
  ): Promise<void> {
    await this.opts.octokit.rest.repos.createCommitStatus({
      owner,
      repo,
      sha,
      state: conclusion,
      context: this.checkName,
      description: title.slice(0, 140),
    });
    if (conclusion === 'success') return;
    await this.opts.octokit.rest.pulls.createReview({
      owner,
      repo,
      pull_number: pr,
      commit_id: sha,
      event: 'REQUEST_CHANGES',
      body: summary.slice(0, 65_000),
      comments: problems
        .filter(isError)
        .slice(0, 50)
        .map((p) => ({
          path: p.file,
          line: Math.max(1, p.line),
          body: `**${p.rule}**: ${p.message}\n\nhint: ${p.hint}`,
        })),
    });
  }

  private async readAt(owner: string, repo: string, path: string, ref: string): Promise<Uint8Array> {
    const { data } = await this.opts.octokit.rest.repos.getContent({ owner, repo, path, ref });
    if (Array.isArray(data) || data.type !== 'file' || !('content' in data))
      throw new Error(`${path} at ${ref} is not a file`);
    return Buffer.from(data.content, (data.encoding as BufferEncoding | undefined) ?? 'base64');
  }

  /** `id a -> b` for manifests where only version, download URLs and checksums changed, upwards. */
  private versionBumps(
    base: RegistrySnapshot,
    index: Awaited<ReturnType<typeof updateIndex>>,
    changes: TreeChange[],
  ): string[] {
    const bumps: string[] = [];
    for (const c of changes) {
      const place = classify(c.path);
      if (place.kind !== 'manifest' || !c.before || !c.after) continue;
      const before = base.index.plugins.get(place.pluginId)?.current;
      const after = index.plugins.get(place.pluginId)?.current;
      if (!before || !after || compareVersionsDescending(after.version, before.version) >= 0) continue;
      if (JSON.stringify(descriptive(before.manifest)) === JSON.stringify(descriptive(after.manifest)))
        bumps.push(`${place.pluginId} ${before.version} -> ${after.version}`);
    }
    return bumps;
  }
}

function descriptive(m: Manifest): unknown {
  const { version: _v, checksums: _c, downloads, ...rest } = m;
  return { ...rest, platforms: (downloads ?? []).map((d) => `${d.os}/${d.arch}`) };
}

/** The base tree with the pull request's files laid over it. */
class OverlayTree implements RegistryTree {
  constructor(
    private readonly base: RegistryTree,
    private readonly files: Map<string, Uint8Array>,
    readonly revision: string,
  ) {}
  async list(): Promise<TreeEntry[]> {
    throw new Error('OverlayTree supports incremental indexing only');
  }
  read(entry: TreeEntry): Promise<Uint8Array> {
    const overlaid = this.files.get(entry.path);
    return overlaid && gitBlobOid(overlaid) === entry.oid ? Promise.resolve(overlaid) : this.base.read(entry);
  }
}

export function gitTreeReader(source: { gitdir: string; cache?: object }): (revision: string) => RegistryTree {
  return (revision) => new GitCommitTree(source, revision);
}
