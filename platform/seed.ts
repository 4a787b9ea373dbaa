// First-start content of the platform's git repositories: registry.git holds the built-in plugins'
// manifests (the registry layout, plugins/<id>/manifest.json), apps.git the examples. Seeding is a
// real `git push` through the git server, so the registry's pre-receive validation checks the seed
// like any other push, and the repositories are created with the server's own settings.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface SeedFile {
  path: string;
  content: Buffer | string;
}

/** Where the package's plugins/ and examples/ are. */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** registry.git: every built-in plugin's manifest as plugins/<folder>/manifest.json. */
export function registrySeed(root = packageRoot): SeedFile[] {
  const plugins = join(root, 'plugins');
  const files: SeedFile[] = [];
  for (const entry of readdirSync(plugins, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const manifest = join(plugins, entry.name, 'manifest.json');
    if (entry.isDirectory() && isFile(manifest))
      files.push({ path: `plugins/${entry.name}/manifest.json`, content: readFileSync(manifest) });
  }
  files.push({ path: 'README.md', content: registryReadme });
  return files;
}

/** apps.git: the examples folder as it is, plus a README on how pushes deploy. */
export function appsSeed(root = packageRoot): SeedFile[] {
  const examples = join(root, 'examples');
  const files: SeedFile[] = walk(examples).map((file) => ({
    path: relative(examples, file).split('\\').join('/'),
    content: readFileSync(file),
  }));
  files.push({ path: 'README.md', content: appsReadme });
  return files;
}

/**
 * Commits `files` on main and pushes them to `pushUrl` (credentials in the URL's user info), which
 * must name a repository that does not exist yet (the git server creates it on this first push).
 */
export async function seedRepository(pushUrl: string, files: SeedFile[], message: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'wfctl-seed-'));
  const git = (...args: string[]) =>
    exec(
      'git',
      [
        '-c',
        'user.name=wfctl up',
        '-c',
        'user.email=wfctl@localhost',
        '-c',
        'commit.gpgsign=false',
        '-c',
        'core.hooksPath=/dev/null',
        ...args,
      ],
      { cwd: work, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 16 * 1024 * 1024 },
    );
  try {
    await git('init', '--quiet', '-b', 'main');
    for (const f of files) {
      const target = join(work, f.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.content);
    }
    await git('add', '-A', '.');
    await git('commit', '--quiet', '-m', message);
    try {
      await git('push', '--quiet', pushUrl, 'main');
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? '').trim();
      throw new Error(`git push of the first commit was refused: ${redact(stderr || (err as Error).message)}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Removes the password of a URL's user info from a message (git echoes the remote URL). */
function redact(text: string): string {
  return text.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const registryReadme = `# registry.git

The plugin registry of this platform, in the workflow-registry layout: \`plugins/<id>/manifest.json\`.
Every push is validated by the git server's pre-receive hook, and the registry API re-indexes at once.
Seeded by \`wfctl up\` with the built-in plugins' manifests.
`;

const appsReadme = `# apps.git

The apps of this platform. A WorkflowSource watches this repository: every WorkflowApp (or plain
engine config) pushed here is deployed, and a push is synced within seconds.
Seeded by \`wfctl up\` with the project's examples.
`;
