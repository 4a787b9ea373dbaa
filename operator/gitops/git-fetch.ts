// Reads a WorkflowSource's revision from git with isomorphic-git. A remote is fetched shallow
// (depth 1, one ref, no tags, no checkout) into a bare cache repository kept per source between
// syncs, so a sync asks the server only for objects it does not have; a force-push is just a new
// tip. A local path (development) is read in place. The result is a snapshot: the commit, its
// author and subject, and the files under the source's path.
import * as fs from 'node:fs';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { RepoTree } from './repo-tree.ts';

export interface GitCredentials {
  username?: string;
  password?: string;
  token?: string;
}

export interface RevisionRequest {
  repoURL: string;
  /** Branch, tag or commit; undefined = the remote's HEAD. */
  revision?: string;
  credentials?: GitCredentials;
  /**
   * A push said the ref moved: fetch at once. Otherwise (an interval resync) the server's refs are
   * asked first, and a tip already here costs that one request instead of a pack negotiation.
   */
  pushed?: boolean;
}

export interface Commit {
  oid: string;
  author: string;
  /** Subject line of the commit message. */
  subject: string;
}

/** Where a revision's objects can be read. */
export interface GitLocation {
  gitdir: string;
  cache: object;
}

export interface Snapshot extends GitLocation {
  commit: Commit;
}

/** Fetch failures carry a message a user can act on (it goes into the source's status). */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly temporary: boolean,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

const fullSha = /^[0-9a-f]{40}$/;

export function isRemoteRepo(repoURL: string): boolean {
  return /^https?:\/\//i.test(repoURL);
}

/** A repo URL for messages: credentials in it are dropped. */
export function displayUrl(repoURL: string): string {
  return repoURL.replace(/\/\/[^@/]*@/, '//');
}

/** Fetches and resolves revisions, one bare cache repository per key (a source). */
export class GitFetcher {
  private readonly caches = new Map<string, object>();

  constructor(private readonly cacheDir: string) {}

  /** Brings the revision in (remote) or finds it (local path) and returns its commit. */
  async fetch(key: string, req: RevisionRequest): Promise<Snapshot> {
    let location: GitLocation & { oid: string };
    if (isRemoteRepo(req.repoURL)) location = await this.fetchRemote(key, req);
    else {
      const local = await openLocal(req.repoURL);
      location = { ...local, oid: await resolveLocal(local, req.revision, req.repoURL) };
    }
    const commit = await readCommit(location, location.oid);
    return { gitdir: location.gitdir, cache: location.cache, commit };
  }

  /** Drops a source's cache repository (the source was deleted or points elsewhere now). */
  async forget(key: string): Promise<void> {
    this.caches.delete(key);
    await rm(this.dirOf(key), { recursive: true, force: true });
  }

  private dirOf(key: string): string {
    return join(this.cacheDir, `${key.replace(/[^A-Za-z0-9._-]/g, '_')}.git`);
  }

  private async fetchRemote(key: string, req: RevisionRequest): Promise<GitLocation & { oid: string }> {
    const gitdir = this.dirOf(key);
    let cache = this.caches.get(key);
    if (!cache) this.caches.set(key, (cache = {}));
    const url = req.repoURL;
    const where = displayUrl(url);
    try {
      const fresh = !existsSync(join(gitdir, 'HEAD'));
      if (fresh) {
        await mkdir(gitdir, { recursive: true });
        await git.init({ fs, dir: gitdir, gitdir, bare: true });
      }
      // The cache follows the spec: a changed repoURL points the remote elsewhere.
      await git.addRemote({ fs, gitdir, remote: 'origin', url, force: true });
      const onAuth = authOf(req.credentials);
      const common = { fs, http, gitdir, url, cache, tags: false, ...(onAuth ? { onAuth } : {}) };
      const pinned = req.revision && fullSha.test(req.revision) ? req.revision : undefined;
      if (pinned) {
        // A commit never changes: once here, no fetch at all. Servers refuse to send an arbitrary
        // commit by id, so the first time the whole history of every branch is fetched.
        if (!(await hasCommit({ gitdir, cache }, pinned))) await git.fetch({ ...common, singleBranch: false });
        if (!(await hasCommit({ gitdir, cache }, pinned)))
          throw new FetchError(`${where}: commit ${pinned} is not on any branch`, false);
        return { gitdir, cache, oid: pinned };
      }
      if (!fresh && !req.pushed) {
        const tip = await remoteTip(url, req.revision, onAuth);
        if (tip && (await hasCommit({ gitdir, cache }, tip))) return { gitdir, cache, oid: tip };
      }
      const result = await git.fetch({ ...common, ref: req.revision, singleBranch: true, depth: 1 });
      if (!result.fetchHead) throw new FetchError(`${where}: the repository is empty (nothing was pushed yet)`, true);
      return { gitdir, cache, oid: await peel({ gitdir, cache }, result.fetchHead) };
    } catch (err) {
      throw explainFetchError(err, where, req.revision);
    }
  }
}

/** The commit a ref names on the server (peeled for annotated tags), from its ref advertisement. */
async function remoteTip(
  url: string,
  revision: string | undefined,
  onAuth: (() => { username: string; password: string }) | undefined,
): Promise<string | undefined> {
  const refs = await git.listServerRefs({
    http,
    url,
    ...(onAuth ? { onAuth } : {}),
    peelTags: true,
    protocolVersion: 1,
  });
  const want = revision
    ? (refs.find((r) => r.ref === `refs/heads/${revision}`) ?? refs.find((r) => r.ref === `refs/tags/${revision}`))
    : refs.find((r) => r.ref === 'HEAD');
  return want?.peeled ?? want?.oid;
}

function authOf(c: GitCredentials | undefined): (() => { username: string; password: string }) | undefined {
  if (!c) return undefined;
  if (c.token) return () => ({ username: c.username ?? 'git', password: c.token! });
  if (c.username || c.password) return () => ({ username: c.username ?? '', password: c.password ?? '' });
  return undefined;
}

function explainFetchError(err: unknown, where: string, revision: string | undefined): FetchError {
  if (err instanceof FetchError) return err;
  const e = err as Error & { code?: string; data?: { statusCode?: number } };
  const status = e.data?.statusCode;
  if (status === 401 || status === 403)
    return new FetchError(`${where}: access denied (HTTP ${status}); check spec.secretRef`, false);
  if (status === 404) return new FetchError(`${where}: repository not found (HTTP 404)`, false);
  if (e.code === 'NotFoundError' || e.code === 'ResolveRefError')
    return new FetchError(`${where}: revision "${revision ?? 'HEAD'}" not found`, false);
  const cause = (e as { cause?: { code?: string } }).cause?.code ?? e.code ?? '';
  return new FetchError(
    `${where}: fetch failed: ${e.message}${cause && !e.message.includes(cause) ? ` (${cause})` : ''}`,
    true,
  );
}

async function openLocal(path: string): Promise<GitLocation> {
  const dir = resolve(path);
  const gitdir = existsSync(join(dir, '.git')) ? join(dir, '.git') : dir;
  if (!existsSync(join(gitdir, 'HEAD')))
    throw new FetchError(`${dir} is not a git repository (a clone or a bare repository)`, false);
  return { gitdir, cache: {} };
}

async function resolveLocal(loc: GitLocation, revision: string | undefined, where: string): Promise<string> {
  if (revision && fullSha.test(revision)) {
    if (await hasCommit(loc, revision)) return revision;
    throw new FetchError(`${where}: commit ${revision} not found`, false);
  }
  for (const ref of revision ? [`refs/heads/${revision}`, `refs/tags/${revision}`, revision] : ['HEAD']) {
    try {
      return await peel(loc, await git.resolveRef({ fs, gitdir: loc.gitdir, ref }));
    } catch {
      // try the next spelling
    }
  }
  throw new FetchError(`${where}: revision "${revision ?? 'HEAD'}" not found`, false);
}

/** An annotated tag's id -> the commit it names. */
async function peel(loc: GitLocation, oid: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const obj = await git.readObject({ fs, gitdir: loc.gitdir, oid, cache: loc.cache, format: 'parsed' });
    if (obj.type !== 'tag') return oid;
    oid = (obj.object as { object: string }).object;
  }
  return oid;
}

async function hasCommit(loc: GitLocation, oid: string): Promise<boolean> {
  try {
    await git.readCommit({ fs, gitdir: loc.gitdir, oid, cache: loc.cache });
    return true;
  } catch {
    return false;
  }
}

async function readCommit(loc: GitLocation, oid: string): Promise<Commit> {
  const { commit } = await git.readCommit({ fs, gitdir: loc.gitdir, oid, cache: loc.cache });
  return {
    oid,
    author: `${commit.author.name} <${commit.author.email}>`,
    subject: commit.message.split('\n')[0] ?? '',
  };
}

interface TreeItem {
  name: string;
  type: 'file' | 'dir';
  oid: string;
}

/** A commit's tree, read lazily: what the renderer walks (repo-tree.ts has the on-disk one). */
export class GitTree implements RepoTree {
  private readonly dirs = new Map<string, Promise<TreeItem[] | undefined>>();

  constructor(private readonly snap: Snapshot) {}

  async list(dir: string): Promise<Array<{ name: string; type: 'file' | 'dir' }> | undefined> {
    return (await this.entries(dir))?.map(({ name, type }) => ({ name, type }));
  }

  async read(path: string): Promise<string | undefined> {
    const slash = path.lastIndexOf('/');
    const entry = (await this.entries(slash < 0 ? '' : path.slice(0, slash)))?.find(
      (e) => e.name === path.slice(slash + 1) && e.type === 'file',
    );
    if (!entry) return undefined;
    const { blob } = await git.readBlob({ fs, gitdir: this.snap.gitdir, oid: entry.oid, cache: this.snap.cache });
    return Buffer.from(blob).toString('utf8');
  }

  private entries(dir: string): Promise<TreeItem[] | undefined> {
    let p = this.dirs.get(dir);
    if (!p) {
      p = this.readDir(dir);
      this.dirs.set(dir, p);
    }
    return p;
  }

  private async readDir(dir: string): Promise<TreeItem[] | undefined> {
    const { gitdir, cache } = this.snap;
    try {
      const { commit } = await git.readCommit({ fs, gitdir, oid: this.snap.commit.oid, cache });
      const { tree } = await git.readTree({ fs, gitdir, oid: commit.tree, filepath: dir || undefined, cache });
      return tree
        .filter((e) => e.type === 'blob' || e.type === 'tree')
        .map((e) => ({ name: e.path, type: e.type === 'tree' ? ('dir' as const) : ('file' as const), oid: e.oid }));
    } catch {
      return undefined;
    }
  }
}
