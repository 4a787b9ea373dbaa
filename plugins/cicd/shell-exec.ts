// step.shell_exec (upstream's cicd plugin, module/pipeline_step_shell_exec.go): runs `commands`, each
// as `sh -c`, one after another in one working directory, then stores `artifacts_out` files in the
// run's artifacts (run-artifacts.ts). Upstream runs them in a Docker container of `image`; here they
// run in step.sandbox_exec's local sandbox (plugins/pipelinesteps: the image mapped to local tools,
// namespaces, no_new_privs, dropped capabilities, scrubbed env, hard timeout), with the host network
// and no memory or CPU cap, as upstream's plain container. `work_dir` is where the commands see the
// working directory (bound there with PRoot); without it they run in a fresh directory. A command that
// exits non-zero fails the step with its stderr, as upstream.
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, posix, relative, sep } from 'node:path';
import { ConfigValueError, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { profileDefaults, runInSandbox, SandboxError, type ExecResult } from '../pipelinesteps/index.ts';
import { ConfigReader } from '../support/index.ts';
import { executionIdOf, runArtifactsOf, storeField } from './run-artifacts.ts';

/** Upstream's sandbox runner default when the step sets no timeout. */
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export const shellExecSchema: TypeSchema = {
  description: 'Runs shell commands in a sandbox (a Docker container upstream) and stores output files as artifacts',
  configFields: [
    { key: 'image', type: 'string', required: true, description: "mapped to local tools, as step.sandbox_exec's" },
    { key: 'commands', type: 'array', required: true, description: 'each run with sh -c, in order' },
    { key: 'work_dir', type: 'string', description: 'absolute path where the commands see their directory' },
    { key: 'timeout', type: 'duration', default: '10m', description: 'per command' },
    { key: 'env', type: 'map', description: 'the environment besides PATH, HOME, TMPDIR, LANG' },
    { key: 'artifacts_out', type: 'array', description: '[{key, path}]: files stored in the run artifacts' },
    storeField,
  ],
  outputs: [
    { key: 'commands', type: 'array', description: '[{command, exit_code, stdout, stderr}]' },
    { key: 'image', type: 'string' },
    { key: 'artifacts', type: 'array', description: '[{key, path}] when artifacts_out stored any' },
  ],
};

interface ArtifactOut {
  key: string;
  path: string;
  /** The file relative to the working directory. */
  inWorkDir: string;
}

export const createShellExecStep: StepFactory = (spec, ctx) => {
  const label = `shell_exec step "${spec.name}"`;
  const cfg = new ConfigReader(spec.config);
  const image = cfg.requiredString('image', 'image: alpine:3.20');
  const rawCommands = cfg.raw('commands');
  if (!Array.isArray(rawCommands) || rawCommands.length === 0)
    throw new ConfigValueError(`'commands' is required and must be non-empty`, {
      path: ['commands'],
      hint: 'commands: ["make build", "make test"]',
    });
  const commands = rawCommands.map((c, i) => {
    if (typeof c !== 'string') throw new ConfigValueError(`command ${i} must be a string`, { path: ['commands', i] });
    return c;
  });
  const workDir = cfg.string('work_dir') || undefined;
  if (workDir !== undefined && (!posix.isAbsolute(workDir) || workDir.split('/').includes('..')))
    throw new ConfigValueError(`work_dir must be an absolute path without "..", e.g. /workspace`, {
      path: ['work_dir'],
    });
  const settings = {
    ...profileDefaults('standard', image),
    memoryLimit: 0,
    cpuLimit: 0,
    timeoutMs: cfg.duration('timeout', 0) || DEFAULT_TIMEOUT_MS,
    network: 'host',
    env: Object.fromEntries(
      Object.entries(cfg.map('env') ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    ),
  };
  const artifactsOut = cfg.list('artifacts_out').map((item, i): ArtifactOut => {
    const at = ['artifacts_out', i];
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new ConfigValueError(`artifacts_out[${i}] must be a map`, { path: at });
    const { key, path } = item as Record<string, unknown>;
    if (typeof key !== 'string' || key === '' || typeof path !== 'string' || path === '')
      throw new ConfigValueError(`artifacts_out[${i}] requires 'key' and 'path'`, {
        path: at,
        hint: '{ key: binary, path: dist/app }',
      });
    const inWorkDir = posix.isAbsolute(path) ? (workDir ? posix.relative(workDir, path) : '..') : posix.normalize(path);
    if (inWorkDir.split('/').includes('..') || inWorkDir === '' || inWorkDir === '.')
      throw new ConfigValueError(`artifacts_out[${i}].path "${path}" is not a file inside the working directory`, {
        path: [...at, 'path'],
        hint: workDir ? `use a path under ${workDir}` : 'use a relative path, or set work_dir and a path under it',
      });
    return { key, path, inWorkDir };
  });
  const artifacts = artifactsOut.length > 0 ? runArtifactsOf(spec, ctx, label) : undefined;

  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const hostDir = await mkdtemp(join(tmpdir(), 'wf-shell-exec-'));
      try {
        const outputs = [];
        for (const [i, command] of commands.entries()) {
          let result: ExecResult;
          try {
            result = await runInSandbox(settings, ['sh', '-c', command], pc.signal, { hostDir, path: workDir });
          } catch (err) {
            if (err instanceof SandboxError) throw new Error(`${label}: command ${i} failed: ${err.message}`);
            throw err;
          }
          if (result.exitCode !== 0)
            throw new Error(`${label}: command ${i} exited with code ${result.exitCode}: ${result.stderr}`);
          outputs.push({ command, exit_code: result.exitCode, stdout: result.stdout, stderr: result.stderr });
        }
        const stored = [];
        if (artifacts) {
          const executionId = executionIdOf(pc, label);
          for (const a of artifactsOut) {
            const data = await readInside(hostDir, a.inWorkDir).catch((err: Error) => {
              throw new Error(`${label}: failed to read artifact "${a.key}" at ${a.path}: ${err.message}`);
            });
            await artifacts.put(executionId, a.key, data);
            stored.push({ key: a.key, path: a.path });
          }
        }
        return { output: { commands: outputs, image, ...(stored.length > 0 ? { artifacts: stored } : {}) } };
      } finally {
        await rm(hostDir, { recursive: true, force: true });
      }
    },
  };
};

/** A file of the working directory; one whose real path leaves it (a symlink out) is refused. */
async function readInside(hostDir: string, file: string): Promise<Buffer> {
  let real: string;
  try {
    real = await realpath(join(hostDir, file));
  } catch (err) {
    throw new Error((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message);
  }
  const rel = relative(await realpath(hostDir), real);
  if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel))
    throw new Error('it resolves outside the working directory');
  return readFile(real);
}
