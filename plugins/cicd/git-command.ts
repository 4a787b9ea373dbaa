// Runs the system `git` for the git steps, as upstream does (SSH remotes, credential helpers and a
// user's git config keep working). Never through a shell: arguments go to git as they are.
// A token never reaches the command line, the repository's config or an error message: it is handed to
// git as an `Authorization` header through GIT_CONFIG_* environment variables (git >= 2.31), for this
// one command only. Upstream writes it into the remote URL, where `git clone` stores it in .git/config.
import { execFile } from 'node:child_process';

export interface GitRunOptions {
  /** HTTPS credentials: "user:password", or a bare token (sent as user x-access-token, as GitHub documents). */
  token?: string;
  /** An SSH private key (PEM text) for SSH remotes, written to a 0600 temp file for the command. */
  sshKeyFile?: string;
  signal?: AbortSignal;
  /** Kill git after this long (default 10 minutes: a clone of a large repository). */
  timeoutMs?: number;
}

export interface GitOutput {
  stdout: string;
  stderr: string;
}

/** A git command that failed: what ran (without secrets), its exit code and git's own words. */
export class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    detail: string,
  ) {
    super(`git ${args.join(' ')} failed (${detail}): ${(stderr || stdout).trim() || 'no output'}`);
    this.name = 'GitCommandError';
  }
}

const MAX_OUTPUT = 16 * 1024 * 1024;

export function runGit(cwd: string | undefined, args: string[], opts: GitRunOptions = {}): Promise<GitOutput> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const secrets: string[] = [];
  if (opts.token) {
    const userinfo = opts.token.includes(':') ? opts.token : `x-access-token:${opts.token}`;
    const header = `Authorization: Basic ${Buffer.from(userinfo).toString('base64')}`;
    addConfig(env, 'http.extraHeader', header);
    secrets.push(opts.token, header);
  }
  if (opts.sshKeyFile) {
    env.GIT_SSH_COMMAND = `ssh -i '${opts.sshKeyFile.replace(/'/g, `'\\''`)}' -o IdentitiesOnly=yes`;
  }
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        env,
        signal: opts.signal,
        timeout: opts.timeoutMs ?? 600_000,
        maxBuffer: MAX_OUTPUT,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const out = redact(String(stdout), secrets);
        const errOut = redact(String(stderr), secrets);
        if (!err) return resolve({ stdout: out, stderr: errOut });
        const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string };
        let detail: string;
        if (e.code === 'ENOENT' && cwd === undefined) detail = 'git is not installed or not on PATH';
        else if (e.code === 'ENOENT') detail = `directory ${cwd} does not exist, or git is not on PATH`;
        else if (e.name === 'AbortError') detail = 'cancelled';
        else if (e.killed || e.signal) detail = `killed by ${e.signal ?? 'timeout'}`;
        else detail = `exit code ${String(e.code)}`;
        reject(
          new GitCommandError(
            args.map((a) => redact(a, secrets)),
            typeof e.code === 'number' ? e.code : null,
            out,
            errOut,
            detail,
          ),
        );
      },
    );
  });
}

/** git reads GIT_CONFIG_COUNT/KEY_n/VALUE_n as `-c` options that do not show in the process list. */
function addConfig(env: NodeJS.ProcessEnv, key: string, value: string): void {
  const n = Number(env.GIT_CONFIG_COUNT ?? 0);
  env[`GIT_CONFIG_KEY_${n}`] = key;
  env[`GIT_CONFIG_VALUE_${n}`] = value;
  env.GIT_CONFIG_COUNT = String(n + 1);
}

/** Secrets given to git, and any password in a URL (`https://user:password@host`), become "***". */
function redact(text: string, secrets: string[]): string {
  let out = text.replace(/(:\/\/[^/@\s:]*:)[^/@\s]*@/g, '$1***@');
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}
