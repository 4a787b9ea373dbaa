// `wfctl publish`: put a plugin version into a git registry the way a maintainer would by hand.
// Clone the registry, keep the previous version resolvable (manifest.json -> versions/<old>.json),
// write the new manifest (and store the archive next to it, pinned by sha256), validate the whole
// registry locally with the same rules as the server, then commit and push. The server's pre-receive
// hook validates again; its messages come back in `output`.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Manifest } from './manifest.ts';
import { isError, type Problem } from './problem.ts';
import { buildIndex } from './registry-index.ts';
import { DirectoryTree } from './tree.ts';
import { validateManifestBytes } from './validate-manifest.ts';
import { redactUrlCredentials } from '../security/index.ts';

const run = promisify(execFile);

export interface PublishOptions {
  /** The plugin's manifest.json. */
  manifestPath: string;
  /** Clone URL of the registry repository (our git server or any git remote). */
  registryUrl: string;
  branch?: string;
  /** Push credentials for http(s) remotes (sent as the password). */
  token?: string;
  /** A release archive to store in the registry for one platform. */
  archive?: { path: string; os: string; arch: string };
  /** Stop before pushing (prints what would be published). */
  dryRun?: boolean;
  /**
   * The manifest to publish, when it is not the file as it is (a packed plugin: publish-plugin.ts). A
   * promise lets the caller finish preparing it (packing, signing) while the registry is cloned.
   */
  manifest?: Partial<Manifest> | Promise<Partial<Manifest>>;
  /** Runs after every local check passed, right before the push (uploading the archive it names). */
  beforePush?: () => Promise<void>;
}

export interface PublishResult {
  ok: boolean;
  id: string;
  version: string;
  /** The previous version moved to versions/, if any. */
  previous?: string;
  problems: Problem[];
  /** git's output (including the server's `remote:` lines). */
  output: string;
}

export class PublishError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

export async function publishToGitRegistry(opts: PublishOptions): Promise<PublishResult> {
  const prepared = Promise.resolve(
    opts.manifest ?? (JSON.parse(readFileSync(opts.manifestPath, 'utf8')) as Partial<Manifest>),
  );
  prepared.catch(() => undefined); // awaited after the clone; a failure surfaces there
  const work = mkdtempSync(join(tmpdir(), 'wfctl-publish-'));
  try {
    const branch = opts.branch ?? 'main';
    const remote = withToken(opts.registryUrl, opts.token);
    await git(work, 'clone', '--quiet', '--depth', '1', '--branch', branch, remote, 'registry').catch(
      async (err: Error) => {
        // An empty repository (push-to-create) has no branch to clone yet.
        if (!/Remote branch .* not found|empty repository|repository .* not found/i.test(err.message)) {
          await prepared; // a manifest that could not be prepared is the first thing to fix
          throw new PublishError(
            `cannot clone ${redactUrlCredentials(opts.registryUrl)}: ${redactUrlCredentials(firstLine(err.message))}`,
            'check the URL, the branch (--branch) and the token',
          );
        }
        mkdirSync(join(work, 'registry'));
        await git(join(work, 'registry'), 'init', '--quiet', '-b', branch);
        await git(join(work, 'registry'), 'remote', 'add', 'origin', remote);
      },
    );
    const repo = join(work, 'registry');
    const draft = await prepared;
    const name = String(draft.name ?? '');
    const id =
      [name, name.replace(/^workflow-plugin-/, '')].find(
        (d) => d && existsSync(join(repo, 'plugins', d, 'manifest.json')),
      ) ?? name.replace(/^workflow-plugin-/, '');
    const dir = join(repo, 'plugins', id);
    const file = `plugins/${id}/manifest.json`;
    const manifest: Partial<Manifest> = { ...draft };
    if (opts.archive) {
      const archive = readFileSync(opts.archive.path);
      const rel = `dist/${id}-${draft.version}-${opts.archive.os}-${opts.archive.arch}.tar.gz`;
      mkdirSync(join(dir, 'dist'), { recursive: true });
      writeFileSync(join(dir, rel), archive);
      const others = (draft.downloads ?? []).filter(
        (d) => !(d.os === opts.archive!.os && d.arch === opts.archive!.arch),
      );
      manifest.downloads = [
        ...others,
        {
          os: opts.archive.os as never,
          arch: opts.archive.arch as never,
          url: rel,
          sha256: createHash('sha256').update(archive).digest('hex'),
        },
      ];
    }
    const own = validateManifestBytes({ file, pluginId: id }, Buffer.from(JSON.stringify(manifest))).problems;
    if (own.some(isError))
      throw new PublishError(
        `${opts.manifestPath} is not publishable`,
        'fix the errors above (wfctl registry validate shows them with line numbers)',
        own,
      );

    if (existsSync(join(dir, 'versions', `${draft.version}.json`)))
      throw new PublishError(
        `${id}@${draft.version} is already published`,
        'published versions are immutable: bump "version"',
      );
    let previous: string | undefined;
    if (existsSync(join(dir, 'manifest.json'))) {
      previous = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest).version;
      if (previous === draft.version)
        throw new PublishError(
          `${id}@${previous} is already published`,
          'published versions are immutable: bump "version"',
        );
      mkdirSync(join(dir, 'versions'), { recursive: true });
      renameSync(join(dir, 'manifest.json'), join(dir, 'versions', `${previous}.json`));
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    const index = await buildIndex(new DirectoryTree(repo));
    const problems = index.problems.filter((p) => isError(p) || p.file.startsWith(`plugins/${id}/`));
    if (problems.some(isError))
      throw new PublishError(
        `the registry would not accept ${id}@${draft.version}`,
        'fix the errors above and publish again',
        problems,
      );
    const result = { id, version: String(draft.version), ...(previous ? { previous } : {}), problems };
    if (opts.dryRun)
      return {
        ok: true,
        ...result,
        output:
          `dry run: would push ` +
          `${id}@${draft.version}${previous ? ` (previous ${previous} kept in versions/)` : ''}`,
      };

    await opts.beforePush?.();
    await git(repo, 'add', '--all', 'plugins');
    await git(
      repo,
      '-c',
      'user.name=wfctl publish',
      '-c',
      'user.email=wfctl@localhost',
      'commit',
      '--quiet',
      '-m',
      `publish ${id} ${draft.version}`,
    );
    try {
      const pushed = await run('git', ['-C', repo, 'push', 'origin', `HEAD:refs/heads/${branch}`], {
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      });
      return { ok: true, ...result, output: redactUrlCredentials(pushed.stdout + pushed.stderr) };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return { ok: false, ...result, output: redactUrlCredentials(`${e.stdout ?? ''}${e.stderr ?? ''}`) };
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  return stdout;
}

function withToken(url: string, token: string | undefined): string {
  if (!token || !/^https?:\/\//.test(url)) return url;
  const u = new URL(url);
  u.username = u.username || 'wfctl';
  u.password = token;
  return u.href;
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() && !l.startsWith('Command failed')) ?? s;
}

export interface YankOptions {
  /** Clone URL of the registry repository. */
  registryUrl: string;
  branch?: string;
  token?: string;
  /** Registry id or manifest name. */
  name: string;
  version: string;
  reason: string;
  dryRun?: boolean;
}

/**
 * Mark a published version yanked (`"yanked": {"reason": ...}` in its manifest file) and push. A
 * yanked version stays downloadable by exact version (existing locks keep working) but no range
 * resolution picks it. Its artifacts do not change, so the registry's immutability check accepts it.
 */
export async function yankVersion(opts: YankOptions): Promise<PublishResult> {
  const work = mkdtempSync(join(tmpdir(), 'wfctl-yank-'));
  try {
    const branch = opts.branch ?? 'main';
    await git(
      work,
      'clone',
      '--quiet',
      '--depth',
      '1',
      '--branch',
      branch,
      withToken(opts.registryUrl, opts.token),
      'registry',
    ).catch((err: Error) => {
      throw new PublishError(
        `cannot clone ${opts.registryUrl}: ${firstLine(err.message)}`,
        'check the URL, the branch and the token',
      );
    });
    const repo = join(work, 'registry');
    const bare = opts.name.replace(/^workflow-plugin-/, '');
    const id = [opts.name, bare].find((d) => existsSync(join(repo, 'plugins', d, 'manifest.json')));
    if (!id) throw new PublishError(`the registry has no plugin "${opts.name}"`, 'wfctl plugin search shows the names');
    const current = join(repo, 'plugins', id, 'manifest.json');
    const candidates = [current, join(repo, 'plugins', id, 'versions', `${opts.version}.json`)];
    const file = candidates.find(
      (f) => existsSync(f) && (JSON.parse(readFileSync(f, 'utf8')) as Manifest).version === opts.version,
    );
    if (!file)
      throw new PublishError(
        `${id}@${opts.version} is not in the registry`,
        `wfctl plugin info ${id} lists its versions`,
      );
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    if (manifest.yanked)
      throw new PublishError(`${id}@${opts.version} is already yanked (${manifest.yanked.reason})`, 'nothing to do');
    manifest.yanked = { reason: opts.reason };
    writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
    const index = await buildIndex(new DirectoryTree(repo));
    const problems = index.problems.filter((p) => isError(p) && p.file.startsWith(`plugins/${id}/`));
    if (problems.length)
      throw new PublishError(
        `the registry would not accept the yank of ${id}@${opts.version}`,
        'fix the errors above',
        problems,
      );
    const result = { id, version: opts.version, problems: [] };
    if (opts.dryRun) return { ok: true, ...result, output: `dry run: would yank ${id}@${opts.version}` };
    await git(repo, 'add', '--all', 'plugins');
    await git(
      repo,
      '-c',
      'user.name=wfctl',
      '-c',
      'user.email=wfctl@localhost',
      'commit',
      '--quiet',
      '-m',
      `yank ${id} ${opts.version}: ${opts.reason}`,
    );
    try {
      const pushed = await run('git', ['-C', repo, 'push', 'origin', `HEAD:refs/heads/${branch}`], {
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      });
      return { ok: true, ...result, output: pushed.stdout + pushed.stderr };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return { ok: false, ...result, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
