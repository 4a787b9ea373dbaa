// What the renderer reads: a tree of files addressed by repository path ("apps/shop.yaml"). A git
// commit (git-fetch.ts), a directory on disk (`wfctl diff DIR`) or a map in memory (tests).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface RepoTree {
  /** Entries of a directory ("" is the root); undefined when it does not exist. */
  list(dir: string): Promise<Array<{ name: string; type: 'file' | 'dir' }> | undefined>;
  /** A file's text; undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
}

export class DirectoryTree implements RepoTree {
  constructor(private readonly root: string) {}

  async list(dir: string): Promise<Array<{ name: string; type: 'file' | 'dir' }> | undefined> {
    try {
      return readdirSync(join(this.root, dir), { withFileTypes: true })
        .filter((e) => !e.name.startsWith('.git') && (e.isFile() || e.isDirectory()))
        .map((e) => ({ name: e.name, type: e.isDirectory() ? ('dir' as const) : ('file' as const) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return undefined;
    }
  }

  async read(path: string): Promise<string | undefined> {
    try {
      const full = join(this.root, path);
      return statSync(full).isFile() ? readFileSync(full, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  }
}

export class MemoryTree implements RepoTree {
  constructor(private readonly files: Record<string, string>) {}

  async list(dir: string): Promise<Array<{ name: string; type: 'file' | 'dir' }> | undefined> {
    const prefix = dir ? `${dir}/` : '';
    const out = new Map<string, 'file' | 'dir'>();
    for (const path of Object.keys(this.files)) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      out.set(slash < 0 ? rest : rest.slice(0, slash), slash < 0 ? 'file' : 'dir');
    }
    if (out.size === 0) return undefined;
    return [...out].map(([name, type]) => ({ name, type })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async read(path: string): Promise<string | undefined> {
    return this.files[path];
  }
}
