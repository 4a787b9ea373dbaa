// step.git_clone, step.git_checkout, step.git_commit, step.git_tag and step.git_push (upstream's cicd
// plugin): the system git on a working copy. Config keys, outputs and "nothing to commit is not an
// error" follow upstream's module/pipeline_step_git_*.go. Values are templates resolved per run.
// Differences, all for safety: a token is sent as an HTTP header for one command and never stored in
// .git/config (see git-command.ts); a branch, tag, remote or repository that starts with "-" is refused
// (it would be read as a git option), and branch and tag names must pass `git check-ref-format`.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigValueError,
  formatValue,
  ValidationError,
  type CompiledValue,
  type PipelineContext,
  type StepBuildContext,
  type StepFactory,
  type StepSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, resolveFrom } from '../support/index.ts';
import { GitCommandError, runGit, type GitRunOptions } from './git-command.ts';

const directoryField = {
  key: 'directory',
  type: 'string',
  required: true,
  description: 'working copy (template; relative to the config file directory)',
} as const;
const tokenField = {
  key: 'token',
  type: 'string',
  description: 'HTTPS credentials (template): "user:password" or a bare token; never written to .git/config',
} as const;
const success = { key: 'success', type: 'boolean' } as const;
const commitSha = { key: 'commit_sha', type: 'string', description: 'HEAD (or the tag) after the step' } as const;

/** Compiles a step's string config values once; `get` resolves one per run. */
class StepValues {
  private readonly compiled = new Map<string, CompiledValue>();
  constructor(
    private readonly spec: StepSpec,
    private readonly ctx: StepBuildContext,
    keys: Array<[key: string, required: boolean, example?: string]>,
  ) {
    const cfg = new ConfigReader(spec.config);
    for (const [key, required, example] of keys) {
      const raw = required ? cfg.requiredString(key, example && `${key}: ${example}`) : cfg.string(key);
      if (raw !== undefined) this.compiled.set(key, ctx.templates.compile(raw, [key]));
    }
  }

  get(pc: PipelineContext, key: string): string {
    const c = this.compiled.get(key);
    return c ? formatValue(c.resolve(pc)).trim() : '';
  }

  /** The working copy: resolved against the config directory, like storage.local's rootDir. */
  directory(pc: PipelineContext): string {
    const dir = this.get(pc, 'directory');
    if (dir === '') throw this.fail('"directory" resolved to an empty string');
    return resolveFrom(String(this.spec.config._config_dir ?? this.ctx.configDir), dir);
  }

  /** A value git would read as an option if it started with "-". */
  operand(pc: PipelineContext, key: string): string {
    const v = this.get(pc, key);
    if (v.startsWith('-')) throw this.fail(`${key} "${v}" starts with "-"; git would read it as an option`);
    return v;
  }

  fail(message: string): ValidationError {
    return new ValidationError(`${this.spec.type.slice(5)} step "${this.spec.name}": ${message}`);
  }
}

async function checkRefName(values: StepValues, kind: 'branch' | 'tag', name: string): Promise<void> {
  try {
    await runGit(
      undefined,
      kind === 'branch' ? ['check-ref-format', '--branch', name] : ['check-ref-format', `refs/tags/${name}`],
    );
  } catch {
    throw values.fail(`"${name}" is not a valid git ${kind} name (see git check-ref-format)`);
  }
}

async function headSha(dir: string, rev = 'HEAD'): Promise<string> {
  try {
    return (await runGit(dir, ['rev-list', '-n', '1', rev, '--'])).stdout.trim();
  } catch {
    return '';
  }
}

async function currentBranch(dir: string): Promise<string> {
  return (await runGit(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim();
}

/** Runs `body` with the SSH key (if any) in a private temp file that is removed afterwards. */
async function withSshKey<T>(key: string, body: (file?: string) => Promise<T>): Promise<T> {
  if (key === '') return body(undefined);
  const dir = mkdtempSync(join(tmpdir(), 'wf-git-ssh-'));
  const file = join(dir, 'key');
  try {
    writeFileSync(file, key.endsWith('\n') ? key : `${key}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return await body(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function gitOptions(pc: PipelineContext, token: string, sshKeyFile?: string): GitRunOptions {
  return { token: token || undefined, sshKeyFile, signal: pc.signal };
}

export const gitCloneSchema: TypeSchema = {
  description: 'Clones a git repository into a directory',
  configFields: [
    { key: 'repository', type: 'string', required: true, description: 'URL or path to clone (template)' },
    directoryField,
    { key: 'branch', type: 'string', description: 'branch or tag to check out (default: the remote HEAD)' },
    { key: 'depth', type: 'number', description: 'shallow clone depth (0 = full history)' },
    tokenField,
    { key: 'ssh_key', type: 'string', description: 'SSH private key (PEM text, template) for SSH remotes' },
  ],
  outputs: [{ key: 'clone_dir', type: 'string' }, commitSha, { key: 'branch', type: 'string' }, success],
};

export const createGitCloneStep: StepFactory = (spec, ctx) => {
  const values = new StepValues(spec, ctx, [
    ['repository', true, 'https://github.com/org/repo.git'],
    ['directory', true, './work/repo'],
    ['branch', false],
    ['token', false],
    ['ssh_key', false],
  ]);
  const depth = new ConfigReader(spec.config).number('depth', 0)!;
  if (!Number.isInteger(depth) || depth < 0)
    throw new ConfigValueError('"depth" must be a whole number >= 0 (0 = full history)', { path: ['depth'] });
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const repository = values.operand(pc, 'repository');
      const directory = values.directory(pc);
      const branch = values.operand(pc, 'branch');
      const args = ['clone'];
      if (branch) args.push('--branch', branch);
      if (depth > 0) args.push('--depth', String(depth));
      args.push('--', repository, directory);
      await withSshKey(values.get(pc, 'ssh_key'), (key) =>
        runGit(undefined, args, gitOptions(pc, values.get(pc, 'token'), key)),
      );
      return {
        output: {
          clone_dir: directory,
          commit_sha: await headSha(directory),
          branch: branch || (await currentBranch(directory).catch(() => '')),
          success: true,
        },
      };
    },
  };
};

export const gitCheckoutSchema: TypeSchema = {
  description: 'Checks out a branch, tag or commit, or creates a branch',
  configFields: [
    directoryField,
    { key: 'branch', type: 'string', required: true, description: 'branch, tag or commit (template)' },
    { key: 'create', type: 'boolean', default: false, description: 'create the branch (git checkout -b)' },
  ],
  outputs: [{ key: 'branch', type: 'string' }, commitSha, { key: 'created', type: 'boolean' }, success],
};

export const createGitCheckoutStep: StepFactory = (spec, ctx) => {
  const values = new StepValues(spec, ctx, [
    ['directory', true, './work/repo'],
    ['branch', true, 'release/{{ .version }}'],
  ]);
  const create = new ConfigReader(spec.config).boolean('create', false)!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const directory = values.directory(pc);
      const branch = values.operand(pc, 'branch');
      if (branch === '') throw values.fail('"branch" resolved to an empty string');
      if (create) await checkRefName(values, 'branch', branch);
      await runGit(directory, create ? ['checkout', '-b', branch] : ['checkout', branch], { signal: pc.signal });
      return { output: { branch, commit_sha: await headSha(directory), created: create, success: true } };
    },
  };
};

export const gitCommitSchema: TypeSchema = {
  description: 'Stages files and creates a commit ("nothing to commit" succeeds with an empty commit_sha)',
  configFields: [
    directoryField,
    { key: 'message', type: 'string', required: true, description: 'commit message (template)' },
    { key: 'author_name', type: 'string', description: 'author (and committer when git has no identity)' },
    { key: 'author_email', type: 'string' },
    { key: 'add_all', type: 'boolean', default: false, description: 'stage everything first (git add -A)' },
    { key: 'add_files', type: 'array', description: 'paths to stage first (git add -- <files>)' },
  ],
  outputs: [commitSha, { key: 'message', type: 'string' }, { key: 'files_changed', type: 'number' }, success],
};

export const createGitCommitStep: StepFactory = (spec, ctx) => {
  const values = new StepValues(spec, ctx, [
    ['directory', true, './work/repo'],
    ['message', true, '"release {{ .version }}"'],
    ['author_name', false],
    ['author_email', false],
  ]);
  const cfg = new ConfigReader(spec.config);
  const addAll = cfg.boolean('add_all', false)!;
  const addFiles = cfg.stringList('add_files');
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const directory = values.directory(pc);
      const message = values.get(pc, 'message');
      if (message === '') throw values.fail('"message" resolved to an empty string');
      const opts = { signal: pc.signal };
      if (addAll) await runGit(directory, ['add', '-A'], opts);
      else if (addFiles.length > 0) await runGit(directory, ['add', '--', ...addFiles], opts);
      const authorName = values.get(pc, 'author_name');
      const authorEmail = values.get(pc, 'author_email');
      const args = ['commit', '-m', message];
      if (authorName && authorEmail) {
        args.push(`--author=${authorName} <${authorEmail}>`);
        // a server often has no git identity: the author then commits too, instead of a failed step
        const configured = await runGit(directory, ['config', 'user.email']).then(
          (r) => r.stdout.trim() !== '',
          () => false,
        );
        if (!configured) args.unshift('-c', `user.name=${authorName}`, '-c', `user.email=${authorEmail}`);
      }
      let stdout: string;
      try {
        ({ stdout } = await runGit(directory, args, opts));
      } catch (err) {
        if (err instanceof GitCommandError && /nothing (added )?to commit/.test(err.stdout + err.stderr))
          return { output: { commit_sha: '', message, files_changed: 0, success: true } };
        throw err;
      }
      const changed = /(\d+) files? changed/.exec(stdout);
      return {
        output: {
          commit_sha: await headSha(directory),
          message,
          files_changed: changed ? Number(changed[1]) : 0,
          success: true,
        },
      };
    },
  };
};

export const gitTagSchema: TypeSchema = {
  description: 'Creates a tag (annotated when a message is given) and optionally pushes it to origin',
  configFields: [
    directoryField,
    { key: 'tag', type: 'string', required: true, description: 'tag name (template)' },
    { key: 'message', type: 'string', description: 'annotation; without it the tag is lightweight' },
    { key: 'push', type: 'boolean', default: false, description: 'push the tag to origin' },
    tokenField,
  ],
  outputs: [{ key: 'tag', type: 'string' }, commitSha, { key: 'pushed', type: 'boolean' }, success],
};

export const createGitTagStep: StepFactory = (spec, ctx) => {
  const values = new StepValues(spec, ctx, [
    ['directory', true, './work/repo'],
    ['tag', true, 'v{{ .version }}'],
    ['message', false],
    ['token', false],
  ]);
  const push = new ConfigReader(spec.config).boolean('push', false)!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const directory = values.directory(pc);
      const tag = values.operand(pc, 'tag');
      if (tag === '') throw values.fail('"tag" resolved to an empty string');
      await checkRefName(values, 'tag', tag);
      const message = values.get(pc, 'message');
      await runGit(directory, message ? ['tag', '-a', '-m', message, tag] : ['tag', tag], { signal: pc.signal });
      if (push)
        await runGit(directory, ['push', 'origin', `refs/tags/${tag}`], gitOptions(pc, values.get(pc, 'token')));
      return { output: { tag, commit_sha: await headSha(directory, tag), pushed: push, success: true } };
    },
  };
};

export const gitPushSchema: TypeSchema = {
  description: 'Pushes a branch (default: the current one) to a remote',
  configFields: [
    directoryField,
    { key: 'remote', type: 'string', default: 'origin', description: 'remote name (template)' },
    { key: 'branch', type: 'string', description: 'branch to push (default: the current branch)' },
    { key: 'force', type: 'boolean', default: false },
    { key: 'tags', type: 'boolean', default: false, description: 'push tags too' },
    tokenField,
  ],
  outputs: [{ key: 'remote', type: 'string' }, { key: 'branch', type: 'string' }, success],
};

export const createGitPushStep: StepFactory = (spec, ctx) => {
  const values = new StepValues(spec, ctx, [
    ['directory', true, './work/repo'],
    ['remote', false],
    ['branch', false],
    ['token', false],
  ]);
  const cfg = new ConfigReader(spec.config);
  const force = cfg.boolean('force', false)!;
  const tags = cfg.boolean('tags', false)!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const directory = values.directory(pc);
      const remote = values.operand(pc, 'remote') || 'origin';
      const branch = values.operand(pc, 'branch') || (await currentBranch(directory));
      const args = ['push', remote, branch];
      if (force) args.push('--force');
      if (tags) args.push('--tags');
      await runGit(directory, args, gitOptions(pc, values.get(pc, 'token')));
      return { output: { remote, branch, success: true } };
    },
  };
};
