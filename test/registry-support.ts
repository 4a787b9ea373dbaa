// Helpers for the registry's tests: the upstream corpus (read-only, always copied), temp dirs and git.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The upstream corpus: WORKFLOW_CORPUS, else the copy vendored in test/fixtures/corpus. Missing fails, never skips. */
export const corpusRoot = process.env.WORKFLOW_CORPUS ?? new URL('./fixtures/corpus', import.meta.url).pathname;
export const corpusRegistry = join(corpusRoot, 'workflow-registry');
export const corpusHistoryBundle = join(corpusRoot, 'workflow-registry-history.bundle');
for (const required of [corpusRegistry, corpusHistoryBundle])
  if (!existsSync(required))
    throw new Error(
      `the upstream corpus is missing: no ${required} (vendored in test/fixtures/corpus; WORKFLOW_CORPUS)`,
    );

export function tempDir(prefix = 'registry-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

const gitIdentity = [
  '-c',
  'user.name=Registry Test',
  '-c',
  'user.email=registry-test@localhost',
  '-c',
  'commit.gpgsign=false',
  '-c',
  'init.defaultBranch=main',
];

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...gitIdentity, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** A fresh repository in `dir` holding a copy of the corpus registry (plugins, schema, templates), committed. */
export function corpusRepo(dir: string): string {
  cpSync(corpusRegistry, dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', 'plugins', 'templates', 'schema');
  git(dir, 'commit', '-q', '-m', 'corpus registry');
  return git(dir, 'rev-parse', 'HEAD');
}

/** Clone the 290-commit upstream history bundle into `dir`; returns its commits oldest first. */
export function cloneHistory(dir: string): string[] {
  execFileSync('git', ['clone', '-q', corpusHistoryBundle, dir], { stdio: 'ignore' });
  return git(dir, 'rev-list', '--reverse', '--topo-order', 'HEAD').split('\n');
}

/** A small valid manifest for tests, with overrides. */
export function manifest(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    version: '1.0.0',
    author: 'Test Author',
    description: `The ${name} test plugin`,
    type: 'external',
    tier: 'community',
    license: 'MIT',
    category: 'other',
    repository: `https://github.com/example/${name}`,
    keywords: ['test'],
    ...overrides,
  };
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
