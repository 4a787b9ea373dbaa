// pods/exec: a command run in a container's environment. Containers here are local processes, so the
// container's filesystem view is recreated per command: with PRoot (Debian's `proot`, ptrace-based, no
// root or namespaces needed) each volume is bound at its mountPath, the pod's hosts file at /etc/hosts
// (Service names, cluster-dns.ts), and the working directory is the container's, so
// `cat /config/app.yaml` or `sh -c 'ls /data'` see what the container would. Without proot the command
// runs on the host with container paths in its arguments rewritten to the volumes' host directories,
// which covers direct paths but not paths a shell builds. A TTY request runs the command under
// util-linux `script`, which gives it a pseudo-terminal (and `stty` applies resizes to it).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, readlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { CommandOptions, CommandStatus, RunningCommand, TerminalSize } from '../streams/remote-command.ts';
import { commandExited, commandFailed, commandSucceeded } from '../streams/remote-command.ts';
import { type ContainerPlan, type Mount, rewritePaths } from './container-plan.ts';

export interface ExecTools {
  /** Path of the proot binary, if installed. */
  proot?: string;
  /** Path of util-linux `script`, if installed (TTY sessions). */
  script?: string;
}

export interface ExecInvocation {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Finds the helper binaries once, on PATH. */
export function findExecTools(path = process.env.PATH ?? ''): ExecTools {
  const find = (name: string) => {
    for (const dir of path.split(delimiter)) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
    return undefined;
  };
  return { proot: find('proot'), script: find('script') };
}

/** How `command` runs in the container described by `plan` (pure). */
export function execInvocation(plan: ContainerPlan, command: string[], tty: boolean, tools: ExecTools): ExecInvocation {
  let file: string;
  let args: string[];
  let cwd: string;
  if (tools.proot) {
    ({ file, args, cwd } = inContainerView(tools.proot, plan.mounts, plan.hostsFile, plan.workingDir, command));
  } else {
    const rewrite = (v: string) => rewritePaths(v, plan.mounts);
    [file, ...args] = command.map(rewrite) as [string, ...string[]];
    cwd = rewrite(plan.workingDir);
  }
  const env = { ...plan.env, ...(tty ? { TERM: plan.env.TERM ?? 'xterm' } : {}) };
  if (tty && tools.script) {
    args = ['-q', '-e', '-f', '-c', [file, ...args].map(shellQuote).join(' '), '/dev/null'];
    file = tools.script;
  }
  return { file, args, env, cwd };
}

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

/** Starts the invocation and presents it as the RunningCommand the streaming layer drives. */
export function startExec(
  invocation: ExecInvocation,
  command: string[],
  options: CommandOptions,
  tools: ExecTools,
): RunningCommand {
  const child = spawn(invocation.file, invocation.args, {
    cwd: invocation.cwd,
    env: invocation.env,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<CommandStatus>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      resolve(
        err.code === 'ENOENT'
          ? commandFailed(
              `failed to exec in container: exec: ${JSON.stringify(command[0])}: executable file not found in $PATH`,
            )
          : commandFailed(`failed to exec in container: ${err.message}`),
      ),
    );
    child.once('close', (code, signal) => {
      if (code === 0) resolve(commandSucceeded());
      else resolve(commandExited(command, code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0)));
    });
  });
  return {
    stdin: child.stdin ?? undefined,
    // a terminal merges stderr into stdout, as a container runtime's TTY does
    stdout: options.tty ? merge(child.stdout!, child.stderr!) : child.stdout!,
    stderr: options.tty ? undefined : child.stderr!,
    resize: (size: TerminalSize) => resizeTerminal(child.pid, size, tools),
    exit,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function merge(a: Readable, b: Readable): Readable {
  const out = new PassThrough();
  let open = 2;
  for (const source of [a, b]) {
    source.on('data', (chunk: Buffer) => out.write(chunk));
    source.once('end', () => --open === 0 && out.end());
  }
  return out;
}

/** Sets the size of the pseudo-terminal `script` made for its child (SIGWINCH follows from the kernel). */
function resizeTerminal(scriptPid: number | undefined, size: TerminalSize, tools: ExecTools): void {
  if (!tools.script || !scriptPid) return;
  try {
    const children = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').trim().split(/\s+/);
    const tty = readlinkSync(`/proc/${children[0]}/fd/0`);
    if (!tty.startsWith('/dev/pts/')) return;
    spawnSync('stty', ['-F', tty, 'rows', String(size.height), 'cols', String(size.width)], { stdio: 'ignore' });
  } catch {
    // the command has not started yet or is gone: nothing to resize
  }
}

/**
 * `command` under PRoot in a container's filesystem view: each mount bound at its mountPath, the hosts
 * file (if any) at /etc/hosts, `workingDir` as the working directory. Also used by step.sandbox_exec.
 */
export function inContainerView(
  proot: string,
  mounts: Array<Pick<Mount, 'hostPath' | 'mountPath'>>,
  hostsFile: string | undefined,
  workingDir: string,
  command: string[],
): { file: string; args: string[]; cwd: string } {
  return { file: proot, args: [...prootArgs(mounts, hostsFile, workingDir), ...command], cwd: '/' };
}

/**
 * PRoot's arguments for a command in the container's view: quiet, each mount bound at its mountPath
 * (parents before the paths inside them), the pod's hosts file at /etc/hosts, the working directory.
 */
function prootArgs(
  mounts: Array<Pick<Mount, 'hostPath' | 'mountPath'>>,
  hostsFile: string | undefined,
  workingDir: string,
): string[] {
  // mounts are longest-path-first; proot wants parents bound before the paths inside them
  const binds = [...mounts].reverse().flatMap((m) => ['-b', `${m.hostPath}:${m.mountPath}`]);
  if (hostsFile) binds.push('-b', `${hostsFile}:/etc/hosts`);
  return ['-v', '-1', ...binds, '-w', workingDir];
}
