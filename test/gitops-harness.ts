// Shared by the GitOps end-to-end suites: the operator harness (devcluster, real kubectl) plus a
// git server run as a user runs it, `wfctl git serve` (a child process that can be killed and
// restarted on its port), and a working clone to commit and push from with the real git.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { repoRoot, type Harness } from './operator-harness.ts';

const exec = promisify(execFile);

export interface GitServe {
  url: string;
  port: number;
  repoUrl(name: string): string;
  stop(): Promise<void>;
}

/** `wfctl git serve --data DIR` as a child process; resolves once it prints its URL. */
export async function startGitServe(dataDir: string, args: string[] = [], port = 0): Promise<GitServe> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin/wfctl.js'),
      'git',
      'serve',
      '--data',
      dataDir,
      '--port',
      String(port),
      '--token',
      'push-token',
      ...args,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /git server at (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`wfctl git serve exited ${code}: ${stderr}`)));
  });
  const actualPort = Number(new URL(url).port);
  return {
    url,
    port: actualPort,
    repoUrl: (name) => `${url}/${name}.git`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    },
  };
}

/** A working clone: write files, commit, push (to the git server, with the push token). */
export class WorkTree {
  constructor(
    readonly dir: string,
    private readonly pushUrl: string,
  ) {}

  static async create(dir: string, serve: GitServe, repo: string): Promise<WorkTree> {
    mkdirSync(dir, { recursive: true });
    const pushUrl = serve.repoUrl(repo).replace('http://', 'http://wfctl:push-token@');
    const w = new WorkTree(dir, pushUrl);
    await w.git('init', '-q', '-b', 'main');
    return w;
  }

  git(...args: string[]): Promise<string> {
    return exec('git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', ...args], { cwd: this.dir }).then(
      (r) => r.stdout,
    );
  }

  write(files: Record<string, string | null>): void {
    for (const [path, text] of Object.entries(files)) {
      const full = join(this.dir, path);
      if (text === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, text);
      }
    }
  }

  /** Writes, commits everything and pushes main; returns the new commit. */
  async push(message: string, files: Record<string, string | null> = {}, ...pushArgs: string[]): Promise<string> {
    this.write(files);
    await this.git('add', '-A');
    await this.git('commit', '-q', '--allow-empty', '-m', message);
    await this.git('push', '-q', ...pushArgs, this.pushUrl, 'main');
    return (await this.git('rev-parse', 'HEAD')).trim();
  }
}

/** A WorkflowApp manifest whose engine answers `message` at / (a real engine config). */
export function appYaml(name: string, message: string, extra: string[] = []): string {
  return `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowApp
metadata:
  name: ${name}
spec:
${extra.map((l) => `  ${l}\n`).join('')}  service: {type: LoadBalancer}
  config: |
    modules:
      - name: server
        type: http.server
        config: { address: ":8080" }
      - name: router
        type: http.router
        dependsOn: [server]
    pipelines:
      hello:
        trigger:
          type: http
          config: { method: GET, path: "/{$}" }
        steps:
          - name: respond
            type: step.json_response
            config: { status: 200, body: { message: "${message}" } }
`;
}

export function sourceYaml(name: string, repoURL: string, spec: string[] = []): string {
  return `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowSource
metadata: { name: ${name}, namespace: default }
spec:
  repoURL: ${repoURL}
${spec.map((l) => `  ${l}\n`).join('')}`;
}

export async function sourceStatus(h: Harness, name: string): Promise<any> {
  return (await h.json('get', 'wfs', name)).status ?? {};
}
