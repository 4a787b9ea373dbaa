// A registry tree at a commit read through the system `git` binary. The pre-receive hook needs this:
// pushed objects sit in a quarantine directory that only git itself (via the environment it sets for
// hooks) can see; isomorphic-git cannot. Blobs come from one long-lived `git cat-file --batch`.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promisify } from 'node:util';
import { indexedRoots, type RegistryTree, type TreeEntry } from './tree.ts';

const run = promisify(execFile);

export class CliGitTree implements RegistryTree {
  private batch: BatchReader | undefined;

  constructor(
    private readonly gitdir: string,
    readonly revision: string,
    /** Extra environment for git (a pre-receive hook's quarantine object directories). */
    private readonly env?: NodeJS.ProcessEnv,
  ) {}

  async list(): Promise<TreeEntry[]> {
    const { stdout } = await run(
      'git',
      ['--git-dir', this.gitdir, 'ls-tree', '-r', '-z', '--full-tree', this.revision, '--', ...indexedRoots],
      {
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'buffer',
        ...(this.env ? { env: { ...process.env, ...this.env } } : {}),
      },
    );
    const out: TreeEntry[] = [];
    for (const record of stdout.toString('utf8').split('\0')) {
      if (!record) continue;
      const tab = record.indexOf('\t');
      const [, type, oid] = record.slice(0, tab).split(' ');
      if (type === 'blob') out.push({ path: record.slice(tab + 1), oid: oid! });
    }
    return out;
  }

  read(entry: TreeEntry): Promise<Uint8Array> {
    this.batch ??= new BatchReader(this.gitdir, this.env);
    return this.batch.read(entry.oid);
  }

  close(): void {
    this.batch?.close();
    this.batch = undefined;
  }
}

/** Requests go to `git cat-file --batch` in order; answers come back in the same order. */
class BatchReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<{ oid: string; resolve: (b: Buffer) => void; reject: (e: Error) => void }> = [];
  private buffer: Buffer = Buffer.alloc(0);

  constructor(gitdir: string, env?: NodeJS.ProcessEnv) {
    this.child = spawn('git', ['--git-dir', gitdir, 'cat-file', '--batch'], {
      stdio: 'pipe',
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.drain();
    });
    this.child.on('error', (err) => this.failAll(err));
    this.child.on('exit', () => this.failAll(new Error('git cat-file exited')));
  }

  read(oid: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ oid, resolve, reject });
      this.child.stdin.write(`${oid}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const nl = this.buffer.indexOf(10);
      if (nl === -1) return;
      const header = this.buffer.subarray(0, nl).toString('utf8');
      const next = this.waiting[0]!;
      if (header.endsWith(' missing')) {
        this.buffer = this.buffer.subarray(nl + 1);
        this.waiting.shift();
        next.reject(new Error(`object ${next.oid} is missing`));
        continue;
      }
      const size = Number(header.split(' ')[2]);
      if (this.buffer.length < nl + 1 + size + 1) return;
      const body = Buffer.from(this.buffer.subarray(nl + 1, nl + 1 + size));
      this.buffer = this.buffer.subarray(nl + 1 + size + 1);
      this.waiting.shift();
      next.resolve(body);
    }
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}
