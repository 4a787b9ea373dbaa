// Where the registry repository lives, for the sync job: a repository on this machine (read in place)
// or a remote reached over smart HTTP (a shallow, single-branch, checkout-free clone kept in the data
// dir and fetched on every sync). Either way the sync gets a gitdir and the branch head commit.
import * as fs from 'node:fs';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { GitLocation } from './git-tree.ts';
import { redactUrlCredentials, splitUrlCredentials } from '../security/index.ts';

export interface RegistrySource extends GitLocation {
  /** Human-readable origin for logs and status. */
  readonly description: string;
  readonly branch: string;
  /** Bring the local view up to date and return the branch head commit. */
  update(): Promise<string>;
  /**
   * Whether `ancestor` is in the history of `commit`: false means the branch was rewritten
   * (force-push); undefined when a shallow clone cannot tell.
   */
  isAncestor(ancestor: string, commit: string): Promise<boolean | undefined>;
}

export class SourceError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

function isRemoteUrl(repo: string): boolean {
  return /^https?:\/\//.test(repo);
}

/** `--repo URL|PATH`: a remote is cloned into `cacheDir`; a path is read in place. */
export function openSource(repo: string, opts: { branch?: string; cacheDir: string; token?: string }): RegistrySource {
  const branch = opts.branch ?? 'main';
  return isRemoteUrl(repo) ? new RemoteSource(repo, branch, opts.cacheDir, opts.token) : new LocalSource(repo, branch);
}

class LocalSource implements RegistrySource {
  readonly gitdir: string;
  readonly cache = {};
  readonly description: string;

  constructor(
    path: string,
    readonly branch: string,
  ) {
    const dir = resolve(path);
    this.gitdir = existsSync(join(dir, '.git')) ? join(dir, '.git') : dir;
    this.description = dir;
  }

  async update(): Promise<string> {
    if (!existsSync(join(this.gitdir, 'HEAD'))) {
      throw new SourceError(
        `${this.description} is not a git repository`,
        'pass --repo a clone of the registry, a bare repository, or an http(s) URL',
      );
    }
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: `refs/heads/${this.branch}` });
    } catch {
      throw new SourceError(
        `branch "${this.branch}" not found in ${this.description}`,
        'pass --branch with an existing branch',
      );
    }
  }

  isAncestor(ancestor: string, commit: string): Promise<boolean | undefined> {
    return ancestorOf(this, ancestor, commit);
  }
}

class RemoteSource implements RegistrySource {
  readonly gitdir: string;
  readonly cache = {};
  readonly description: string;

  private readonly url: string;
  private readonly auth?: { username: string; password: string };

  constructor(
    url: string,
    readonly branch: string,
    cacheDir: string,
    token?: string,
  ) {
    this.gitdir = join(cacheDir, 'registry.git');
    // Credentials in the URL go to git per request (onAuth), never into the clone's config file, a
    // log line or an error message.
    const split = splitUrlCredentials(url);
    this.url = split.url;
    this.description = split.url;
    const password = token ?? split.password;
    if (password !== undefined) this.auth = { username: split.username || 'token', password };
    else if (split.username) this.auth = { username: split.username, password: '' };
  }

  async update(): Promise<string> {
    const auth = this.auth;
    const common = {
      fs,
      http,
      gitdir: this.gitdir,
      url: this.url,
      singleBranch: true,
      cache: this.cache,
      ...(auth ? { onAuth: () => auth } : {}),
    };
    try {
      if (!existsSync(join(this.gitdir, 'HEAD'))) {
        await mkdir(this.gitdir, { recursive: true });
        try {
          // `dir` is required by the API but unused: nothing is checked out.
          await git.clone({ ...common, dir: this.gitdir, ref: this.branch, depth: 1, noCheckout: true, noTags: true });
        } catch (err) {
          await rm(this.gitdir, { recursive: true, force: true }); // no half-initialised clone left behind
          throw err;
        }
      } else {
        // a clone made before credentials were kept out of it has them in its config: rewrite it
        await git.setConfig({ fs, gitdir: this.gitdir, path: 'remote.origin.url', value: this.url });
        // Without depth the server sends what is new since our shallow tip, so ancestry stays knowable.
        await git.fetch({ ...common, ref: this.branch, tags: false });
      }
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: `refs/remotes/origin/${this.branch}` });
    } catch (err) {
      if (err instanceof SourceError) throw err;
      const e = err as Error & { code?: string; data?: { statusCode?: number } };
      const status = e.data?.statusCode;
      if (status === 401 || status === 403)
        throw new SourceError(`${this.description}: access denied (HTTP ${status})`, 'pass a token with read access');
      if (e.code === 'NotFoundError')
        throw new SourceError(
          `${this.description}: branch "${this.branch}" not found`,
          'pass --branch with an existing branch',
        );
      throw new SourceError(
        `${this.description}: fetch failed: ${redactUrlCredentials(e.message)}`,
        'check the URL and that the server is reachable',
      );
    }
  }

  isAncestor(ancestor: string, commit: string): Promise<boolean | undefined> {
    return ancestorOf(this, ancestor, commit);
  }
}

async function ancestorOf(loc: GitLocation, ancestor: string, commit: string): Promise<boolean | undefined> {
  if (ancestor === commit) return true;
  try {
    return await git.isDescendent({ fs, gitdir: loc.gitdir, oid: commit, ancestor, depth: -1, cache: loc.cache });
  } catch {
    return undefined; // history cut by a shallow clone, or the old commit is gone
  }
}
