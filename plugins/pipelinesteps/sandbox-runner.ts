// The local sandbox behind step.sandbox_exec. Upstream runs the command in a hardened Docker container;
// there is no container runtime here, so the command runs as a child process of this host, hardened as
// far as Linux allows without root or Docker (what holds and what does not: docs/plugins.md):
//   - the image picks the command through devcluster's image -> runtime table (the node's mechanism
//     for pods), plus upstream's base images mapped to this host's own tools, plus the runtimes file
//     in WORKFLOW_SANDBOX_RUNTIMES (the format of `wfctl devcluster --runtimes`); mounts are bound at
//     their targets with PRoot, as devcluster's `kubectl exec` does;
//   - its own user, PID and (for network "none") network namespaces with `unshare`, when the kernel
//     allows unprivileged user namespaces: no network interfaces but a downed loopback, and killing
//     the sandbox kills every process it started; network "none" fails closed where they are refused;
//   - `setpriv`: no_new_privs, capabilities dropped from the bounding set;
//   - `prlimit`: memory (RLIMIT_DATA), CPU seconds (cpu_limit x timeout), file size, no core dumps;
//   - a scrubbed environment (only PATH, HOME, TMPDIR, LANG and the step's env), a fresh working
//     directory removed afterwards, its own process group killed at the timeout, capped output.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { goDuration, type SandboxSettings } from './sandbox-config.ts';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** A stream passed MAX_OUTPUT_BYTES and was cut there. */
  truncated: boolean;
}

/** A failure of the sandbox itself (not of the command): upstream's `sandbox: ...` errors. */
export class SandboxError extends Error {}

/** Per stream: what a step output can reasonably carry. */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Base images whose tools every Linux host has: the command runs with this host's binaries (the
 * image's own filesystem is not used). Upstream's default image is the first.
 */
const BASE_IMAGES = [
  'cgr.dev/chainguard/wolfi-base:*',
  'wolfi-base:*',
  'busybox:*',
  'alpine:*',
  'debian:*',
  'ubuntu:*',
];

interface Isolation {
  /** unshare flags for user + PID namespaces, when the kernel allows them unprivileged. */
  namespaces: boolean;
  /** Why namespaces are unavailable (for the fail-closed error). */
  namespaceError?: string;
}

let isolation: Isolation | undefined;

/** Probes once whether this host gives unprivileged user, PID and network namespaces. */
function probeIsolation(): Isolation {
  if (isolation) return isolation;
  const probe = spawnSync('unshare', [...namespaceFlags(true), 'true'], { encoding: 'utf8', timeout: 30_000 });
  isolation =
    probe.status === 0
      ? { namespaces: true }
      : { namespaces: false, namespaceError: (probe.error?.message ?? probe.stderr ?? '').trim() || 'refused' };
  return isolation;
}

function namespaceFlags(noNetwork: boolean): string[] {
  return [
    '--user',
    '--map-current-user',
    '--pid',
    '--fork',
    '--kill-child',
    '--mount-proc',
    ...(noNetwork ? ['--net'] : []),
  ];
}

function onPath(name: string, path: string): boolean {
  if (name.includes('/')) return isExecutable(name);
  return path.split(delimiter).some((dir) => isExecutable(join(dir, name)));
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The process for `command` in `image`, through the node's image table (devcluster). */
async function imageProcess(
  image: string,
  command: string[],
): Promise<{ argv: string[]; env: Record<string, string> }> {
  // loaded on first use: an engine that never runs a sandbox does not load devcluster
  const dc = await import('../../devcluster/index.ts');
  const runtimesFile = process.env.WORKFLOW_SANDBOX_RUNTIMES;
  let fromFile: import('../../devcluster/index.ts').ImageTable = [];
  if (runtimesFile) {
    try {
      fromFile = dc.loadRuntimesFile(runtimesFile);
    } catch (err) {
      throw new SandboxError(`sandbox: WORKFLOW_SANDBOX_RUNTIMES: ${(err as Error).message}`);
    }
  }
  const hostTools: import('../../devcluster/index.ts').ImageRuntime = { command: ['{{command}}'], template: true };
  const table = [
    ...fromFile,
    ...BASE_IMAGES.map((p) => [p, hostTools] as [string, typeof hostTools]),
    ...dc.defaultImageTable(),
  ];
  const runtime = dc.findRuntime(table, image);
  if (!runtime) {
    throw new SandboxError(
      `sandbox: failed to pull image: image "${image}" cannot run on this node; it runs only ` +
        `${table.map(([p]) => p).join(', ')} (map more images to local commands with a runtimes file in ` +
        `WORKFLOW_SANDBOX_RUNTIMES, the format of wfctl devcluster --runtimes)`,
    );
  }
  if (runtime.template) {
    // as Docker's CMD: the command replaces {{command}}, or follows a fixed entrypoint
    const usesCommand = runtime.command.includes('{{command}}');
    const argv = dc.expandTemplate(runtime.command, usesCommand ? { command } : { args: command }, {
      primary: 0,
      byPodPort: new Map(),
    });
    return { argv, env: {} };
  }
  // a built-in entrypoint (our engine): a command naming it passes the rest as its arguments
  const args = command[0]?.split('/').pop() === runtime.entrypointName ? command.slice(1) : command;
  const translated = runtime.translateArgs ? runtime.translateArgs(args) : { args, env: {} };
  return { argv: [...runtime.command, ...translated.args], env: translated.env };
}

/**
 * A working directory the caller owns and removes, shared by several commands (step.shell_exec): the
 * command runs in `hostDir`, or, with `path`, sees `hostDir` bound at that absolute path (PRoot) and
 * runs there. Without one, each run gets a fresh directory removed afterwards.
 */
export interface SandboxWorkspace {
  hostDir: string;
  path?: string;
}

/** Runs `command` in the sandbox `settings` describe. Rejects with SandboxError when the sandbox fails. */
export async function runInSandbox(
  settings: SandboxSettings,
  command: string[],
  signal?: AbortSignal,
  workspace?: SandboxWorkspace,
): Promise<ExecResult> {
  if (command.length === 0) throw new SandboxError('sandbox: command is required');
  const { argv, env: imageEnv } = await imageProcess(settings.image, command);
  const noNetwork = settings.network === 'none';
  const iso = probeIsolation();
  if (noNetwork && !iso.namespaces) {
    throw new SandboxError(
      `sandbox: network "none" cannot be enforced on this host: unprivileged user and network namespaces ` +
        `are unavailable (unshare: ${iso.namespaceError}); set network: host to run with the host's network`,
    );
  }

  const workDir = workspace?.hostDir ?? mkdtempSync(join(tmpdir(), 'wf-sandbox-'));
  // the working directory as the command sees it
  const cwd = workspace?.path ?? workDir;
  const allMounts = workspace?.path
    ? [...settings.mounts, { source: workDir, target: workspace.path, readOnly: false }]
    : settings.mounts;
  try {
    const env: Record<string, string> = {
      PATH: SANDBOX_PATH,
      HOME: cwd,
      TMPDIR: cwd,
      LANG: 'C.UTF-8',
      ...imageEnv,
      ...settings.env,
    };
    if (allMounts.length === 0 && !onPath(argv[0]!, env.PATH!)) {
      throw new SandboxError(
        `sandbox: failed to start container: exec: ${JSON.stringify(argv[0])}: executable file not found in $PATH`,
      );
    }
    let inner = argv;
    if (allMounts.length > 0) {
      const dc = await import('../../devcluster/index.ts');
      const proot = dc.findExecTools().proot;
      if (!proot)
        throw new SandboxError(
          'sandbox: mounts need PRoot (Debian package proot), which is not installed on this host',
        );
      // longest target first, as devcluster's mount tables are ordered
      const mounts = [...allMounts]
        .sort((a, b) => b.target.length - a.target.length)
        .map((m) => ({ hostPath: m.source, mountPath: m.target }));
      const view = dc.inContainerView(proot, mounts, undefined, cwd, argv);
      inner = [view.file, ...view.args];
    }
    const limits = ['prlimit', '--core=0'];
    if (settings.memoryLimit > 0) limits.push(`--data=${settings.memoryLimit}`);
    if (settings.cpuLimit > 0)
      limits.push(`--cpu=${Math.max(1, Math.ceil((settings.cpuLimit * settings.timeoutMs) / 1000))}`);
    if (settings.fileSizeLimit > 0) limits.push(`--fsize=${settings.fileSizeLimit}`);
    const privileges = ['setpriv'];
    if (settings.noNewPrivileges) privileges.push('--no-new-privs');
    // lowering the bounding set needs CAP_SETPCAP: root, or anyone inside their own user namespace (a
    // process of another user has no capabilities to drop, and no_new_privs keeps it from gaining any)
    if (settings.capDrop.length > 0 && (iso.namespaces || process.getuid?.() === 0))
      privileges.push('--bounding-set', settings.capDrop.map((c) => `-${c}`).join(','), '--inh-caps', '-all');
    const chain = [
      ...(iso.namespaces ? ['unshare', ...namespaceFlags(noNetwork)] : []),
      ...(privileges.length > 1 ? privileges : []),
      ...limits,
      '--',
      ...inner,
    ];
    return await spawnSandboxed(chain, env, workDir, settings.timeoutMs, signal);
  } finally {
    if (!workspace) rmSync(workDir, { recursive: true, force: true });
  }
}

function spawnSandboxed(
  chain: string[],
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    // its own process group, so the timeout kills everything it started
    const child = spawn(chain[0]!, chain.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = capped();
    const err = capped();
    child.stdout.on('data', out.add);
    child.stderr.on('data', err.add);
    let failure: SandboxError | undefined;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      failure = new SandboxError(`sandbox: execution timed out after ${goDuration(timeoutMs)}`);
      killGroup();
    }, timeoutMs);
    const onAbort = () => {
      failure = new SandboxError('sandbox: execution cancelled');
      killGroup();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(new SandboxError(`sandbox: failed to start container: ${e.message}`));
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      killGroup(); // anything the command left running in its group
      if (failure) return reject(failure);
      const exitCode = code ?? 128 + (sig ? (osConstants.signals[sig] ?? 0) : 0);
      resolve({ exitCode, stdout: out.text(), stderr: err.text(), truncated: out.cut() || err.cut() });
    });
  });
}

function capped() {
  const chunks: Buffer[] = [];
  let size = 0;
  let cut = false;
  return {
    add: (chunk: Buffer) => {
      if (size >= MAX_OUTPUT_BYTES) {
        cut = true;
        return;
      }
      const room = MAX_OUTPUT_BYTES - size;
      if (chunk.length > room) cut = true;
      const kept = chunk.subarray(0, room);
      chunks.push(kept);
      size += kept.length;
    },
    // upstream trims the container's log streams (strings.TrimSpace)
    text: () => Buffer.concat(chunks).toString('utf8').trim(),
    cut: () => cut,
  };
}
