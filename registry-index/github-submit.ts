// Pull-request plugin submission: `wfctl publish --pr` puts the new manifest on a branch of the
// registry repository on GitHub and opens a pull request, through @octokit/rest and GitHub's git
// data API (no clone): read the base branch and the plugin's current manifest, refuse a version that
// is already there, create one commit (new manifest.json, the previous one kept as
// versions/<old>.json), point a new branch at it, open the pull request. The registry's PR checker
// then validates it like any other submission.
//
// Authentication is a token (PAT, or an installation token from elsewhere) or a GitHub App: app id,
// private key and installation id, exchanged for an installation token by @octokit/auth-app.
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { Manifest } from './manifest.ts';

export type GitHubAuth =
  | { token: string }
  | { appId: string | number; privateKey: string; installationId: string | number };

export interface PullRequestSubmission {
  /** "owner/repo" of the registry repository. */
  repository: string;
  /** Base branch (default: the repository's default branch). */
  base?: string;
  /** GitHub API base URL (default https://api.github.com; GitHub Enterprise: https://host/api/v3). */
  apiUrl?: string;
  auth: GitHubAuth;
  /** Registry id: the directory under plugins/. */
  id: string;
  manifest: Manifest;
}

export interface SubmittedPullRequest {
  number: number;
  url: string;
  branch: string;
  /** The version moved to versions/, if there was one. */
  previous?: string;
}

export class SubmissionError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SubmissionError';
  }
}

export function githubClient(auth: GitHubAuth, apiUrl?: string): Octokit {
  const base = { ...(apiUrl ? { baseUrl: apiUrl.replace(/\/+$/, '') } : {}), log: quiet };
  if ('token' in auth) return new Octokit({ ...base, auth: auth.token });
  return new Octokit({
    ...base,
    authStrategy: createAppAuth,
    auth: { appId: auth.appId, privateKey: auth.privateKey, installationId: auth.installationId },
  });
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function status(err: unknown): number | undefined {
  return (err as { status?: number }).status;
}

export async function submitPullRequest(sub: PullRequestSubmission): Promise<SubmittedPullRequest> {
  const [owner, repo] = sub.repository.split('/');
  if (!owner || !repo) throw new SubmissionError(`--github-repo "${sub.repository}" is not owner/repo`);
  const octokit = githubClient(sub.auth, sub.apiUrl);
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      const s = status(err);
      const hint =
        s === 401
          ? 'the token or GitHub App credentials were refused'
          : s === 403 || s === 404
            ? `the credentials need contents and pull-request write access to ${sub.repository}`
            : undefined;
      throw new SubmissionError(`GitHub: ${what} failed: ${(err as Error).message}`, hint);
    }
  };
  const version = sub.manifest.version;
  const base =
    sub.base ??
    (await call('reading the repository', () => octokit.rest.repos.get({ owner, repo }))).data.default_branch;
  const baseRef = await call(`reading branch ${base}`, () =>
    octokit.rest.git.getRef({ owner, repo, ref: `heads/${base}` }),
  );
  const baseSha = baseRef.data.object.sha;
  const baseCommit = await call('reading the base commit', () =>
    octokit.rest.git.getCommit({ owner, repo, commit_sha: baseSha }),
  );
  const read = async (path: string): Promise<string | undefined> => {
    try {
      const res = await octokit.rest.repos.getContent({ owner, repo, path, ref: baseSha });
      const file = res.data as { content?: string; encoding?: string };
      return file.content !== undefined
        ? Buffer.from(file.content, (file.encoding as BufferEncoding) ?? 'base64').toString('utf8')
        : undefined;
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw new SubmissionError(`GitHub: reading ${path} failed: ${(err as Error).message}`);
    }
  };
  const dir = `plugins/${sub.id}`;
  const currentText = await read(`${dir}/manifest.json`);
  let previous: string | undefined;
  if (currentText !== undefined) {
    previous = (JSON.parse(currentText) as Manifest).version;
    if (previous === version)
      throw new SubmissionError(
        `${sub.id}@${version} is already published`,
        'published versions are immutable: bump "version"',
      );
  }
  if ((await read(`${dir}/versions/${version}.json`)) !== undefined)
    throw new SubmissionError(
      `${sub.id}@${version} is already published`,
      'published versions are immutable: bump "version"',
    );

  const files = [{ path: `${dir}/manifest.json`, content: `${JSON.stringify(sub.manifest, null, 2)}\n` }];
  if (currentText !== undefined && previous !== undefined)
    files.push({ path: `${dir}/versions/${previous}.json`, content: currentText });
  const tree = await call('creating the tree', () =>
    octokit.rest.git.createTree({
      owner,
      repo,
      base_tree: baseCommit.data.tree.sha,
      tree: files.map((f) => ({ path: f.path, mode: '100644' as const, type: 'blob' as const, content: f.content })),
    }),
  );
  const commit = await call('creating the commit', () =>
    octokit.rest.git.createCommit({
      owner,
      repo,
      message: `publish ${sub.id} ${version}`,
      tree: tree.data.sha,
      parents: [baseSha],
    }),
  );
  const branch = `publish/${sub.id}-${version}`;
  try {
    await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commit.data.sha });
  } catch (err) {
    if (status(err) === 422)
      throw new SubmissionError(
        `branch ${branch} already exists in ${sub.repository}: ${sub.id}@${version} was submitted before`,
        'see the open pull request, or delete the branch to submit again',
      );
    throw new SubmissionError(`GitHub: creating branch ${branch} failed: ${(err as Error).message}`);
  }
  const pr = await call('opening the pull request', () =>
    octokit.rest.pulls.create({
      owner,
      repo,
      base,
      head: branch,
      title: `publish ${sub.id} ${version}`,
      body: [
        `Publishes **${sub.manifest.name}@${version}**` +
          `${previous ? ` (previous: ${previous}, kept in versions/${previous}.json)` : ''}.`,
        '',
        ...(sub.manifest.downloads ?? []).map(
          (d) =>
            `- ${d.os}/${d.arch}: \`${d.url}\` sha256 ` +
            `\`${d.sha256 ?? 'none'}\`${d.signature ? `, signed by key \`${d.signature.keyId}\`` : ''}`,
        ),
        '',
        'Submitted by `wfctl publish --pr`.',
      ].join('\n'),
    }),
  );
  return { number: pr.data.number, url: pr.data.html_url, branch, ...(previous ? { previous } : {}) };
}
