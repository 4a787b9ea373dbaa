// What the git server's pre-receive hook decides: every branch pushed to the registry repository must
// index without errors (the same validator as everywhere), and must not change the artifacts of a
// version the branch already had (immutability). Messages are the validator's, line for line.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CliGitTree } from './cli-git-tree.ts';
import { formatProblem, isError, summarizeProblems, type Problem } from './problem.ts';
import { allRefusals, emptyPublishedState, publishIndex } from './published.ts';
import { buildIndex, updateIndex, type RegistryIndex } from './registry-index.ts';
import { diffListings } from './tree.ts';

export interface RefUpdate {
  oldOid: string;
  newOid: string;
  ref: string;
}

export interface PushCheckOptions {
  /** Environment for git (a hook's quarantine object directories, when the check runs outside the hook). */
  env?: NodeJS.ProcessEnv;
  /**
   * Indexes of commits checked before, by commit id: a long-running checker (push-check-relay.ts)
   * indexes a push as the changes since the branch's previous commit instead of from nothing.
   */
  cache?: PushCheckCache;
}

export type PushCheckCache = Map<string, RegistryIndex>;

/** Commits kept in a cache: the tips of the last few pushes (one per branch, usually one branch). */
const cachedCommits = 8;

export interface PushVerdict {
  ok: boolean;
  /** Lines for the pusher (git shows them as `remote: ...`). */
  lines: string[];
}

const run = promisify(execFile);
const zero = /^0+$/;
const maxWarningsShown = 10;

export function parseRefUpdates(stdin: string): RefUpdate[] {
  return stdin
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [oldOid, newOid, ref] = line.trim().split(/\s+/);
      return { oldOid: oldOid!, newOid: newOid!, ref: ref! };
    });
}

export async function checkPush(
  gitdir: string,
  updates: RefUpdate[],
  opts: PushCheckOptions = {},
): Promise<PushVerdict> {
  const lines: string[] = [];
  let ok = true;
  for (const u of updates) {
    if (!u.ref.startsWith('refs/heads/') || zero.test(u.newOid)) continue; // tags, deletions: git's own config rules
    const { problems, changed } = await branchProblems(gitdir, u, opts);
    const errors = problems.filter(isError);
    // Every error blocks; warnings matter for the files this push touches (a few of them, at least).
    const shown = [...errors, ...problems.filter((p) => !isError(p) && changed.has(p.file)).slice(0, maxWarningsShown)];
    const hidden = problems.length - shown.length;
    if (errors.length > 0) {
      ok = false;
      lines.push(`registry: push to ${u.ref} rejected: ${summarizeProblems(shown)}`);
    } else {
      lines.push(`registry: ${u.ref} validated${shown.length > 0 ? ` with ${summarizeProblems(shown)}` : ''}`);
    }
    for (const p of shown) lines.push(...formatProblem(p).split('\n'));
    if (hidden > 0)
      lines.push(
        `registry: ${hidden} more warning${hidden === 1 ? '' : 's'} not shown (\`wfctl registry validate .\` ` +
          `lists them all)`,
      );
    if (errors.length > 0)
      lines.push('registry: fix these and push again; `wfctl registry validate .` shows the same messages locally');
  }
  return { ok, lines };
}

async function branchProblems(
  gitdir: string,
  u: RefUpdate,
  opts: PushCheckOptions,
): Promise<{ problems: Problem[]; changed: Set<string> }> {
  const next = new CliGitTree(gitdir, u.newOid, opts.env);
  const prev = zero.test(u.oldOid) ? undefined : new CliGitTree(gitdir, u.oldOid, opts.env);
  try {
    const [nextListing, prevListing] = await Promise.all([next.list(), prev?.list()]);
    const changes = prevListing ? diffListings(prevListing, nextListing) : undefined;
    const changed = new Set((changes ?? nextListing).map((c) => c.path));
    // The previous commit's index, then this one's as its changes: the same index a full build gives
    // (the sync relies on that), for the cost of the files this push touched.
    const prevIndex = prev ? (opts.cache?.get(u.oldOid) ?? (await buildIndex(prev))) : undefined;
    const index = prevIndex && changes ? await updateIndex(prevIndex, next, changes) : await buildIndex(next);
    remember(opts.cache, u.oldOid, prevIndex);
    remember(opts.cache, u.newOid, index);
    const problems = [...(await linkProblems(gitdir, u.newOid, opts.env)), ...index.problems];
    if (prev && prevIndex) {
      // Versions the branch already had are published: replaying old -> new through the ledger
      // finds changed artifacts exactly as the sync would.
      const before = await publishIndex(emptyPublishedState, prevIndex, prev);
      const after = await publishIndex(before, index, next);
      for (const r of allRefusals(after)) problems.push(r.problem);
    }
    return { problems, changed };
  } finally {
    next.close();
    prev?.close();
  }
}

function remember(cache: PushCheckCache | undefined, commit: string, index: RegistryIndex | undefined): void {
  if (!cache || !index) return;
  cache.delete(commit);
  cache.set(commit, index);
  for (const oldest of cache.keys()) {
    if (cache.size <= cachedCommits) break;
    cache.delete(oldest);
  }
}

/**
 * Symlinks and submodules anywhere in the tree are refused: a checkout of the registry (a mirror, a
 * CI job, `wfctl registry validate DIR`) would follow `plugins/x -> /etc` out of the repository, and
 * a submodule pulls in content this check never saw.
 */
async function linkProblems(gitdir: string, commit: string, env?: NodeJS.ProcessEnv): Promise<Problem[]> {
  const { stdout } = await run('git', ['--git-dir', gitdir, 'ls-tree', '-r', '-z', '--full-tree', commit], {
    maxBuffer: 256 * 1024 * 1024,
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  const problems: Problem[] = [];
  for (const record of stdout.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const mode = record.slice(0, record.indexOf(' '));
    const file = record.slice(tab + 1);
    const what = mode === '120000' ? 'symlink' : mode === '160000' ? 'submodule' : undefined;
    if (!what) continue;
    problems.push({
      file,
      line: 1,
      column: 1,
      jsonPointer: '',
      rule: what === 'symlink' ? 'no-symlinks' : 'no-submodules',
      message: `${file} is a ${what}; the registry repository holds regular files only`,
      hint:
        what === 'symlink'
          ? `replace the link with the file itself (git rm --cached ${file}, copy the content, git add ${file})`
          : `vendor the files instead of a submodule (git rm ${file}, copy them in, git add them)`,
      severity: 'error',
    });
  }
  return problems;
}
