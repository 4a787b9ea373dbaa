// The data dir of `wfctl up` (default .wfctl/): one platform per dir (a lock naming its process),
// and the generated credentials, kept across starts so tokens, clone URLs and kubeconfigs a user has
// copied stay valid. Each component keeps its own state in its own subdirectory.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PlatformSecrets {
  /** Console login (printed by wfctl up). */
  consoleToken: string;
  /** git push password for registry.git and apps.git. */
  gitToken: string;
  /** Signs the git server's push notifications (registry sync, operator git hook). */
  webhookSecret: string;
  /** Bearer token of the license server's admin API. */
  licenseAdminToken: string;
}

export const dataLayout = {
  lock: 'up.lock',
  secrets: 'secrets.json',
  platform: 'platform.json',
  cluster: 'cluster',
  git: 'git',
  registry: 'registry',
  license: 'license',
  gitops: 'gitops',
  console: 'console',
  logs: 'logs',
} as const;

const newToken = () => randomBytes(24).toString('base64url');

/** Reads the secrets of an earlier start, creating any that are missing (0600: they are credentials). */
export function loadOrCreateSecrets(dataDir: string): PlatformSecrets {
  const file = join(dataDir, dataLayout.secrets);
  let saved: Partial<PlatformSecrets> = {};
  if (existsSync(file)) {
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<PlatformSecrets>;
    } catch (err) {
      throw new Error(
        `${file} is not valid JSON (${(err as Error).message}); delete it to generate new tokens (clones and ` +
          'logins made with the old ones stop working)',
      );
    }
  }
  const secrets: PlatformSecrets = {
    consoleToken: validToken(saved.consoleToken) ?? newToken(),
    gitToken: validToken(saved.gitToken) ?? newToken(),
    webhookSecret: validToken(saved.webhookSecret) ?? newToken(),
    licenseAdminToken: validToken(saved.licenseAdminToken) ?? newToken(),
  };
  if (JSON.stringify(saved) !== JSON.stringify(secrets)) writePrivate(file, `${JSON.stringify(secrets, null, 2)}\n`);
  return secrets;
}

function validToken(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{16,}$/.test(value) ? value : undefined;
}

/**
 * A file only its owner can read, written whole: a script polling for it (platform.json) never reads
 * half of it, because it appears by rename.
 */
export function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** One wfctl up per data dir; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lock = join(dataDir, dataLayout.lock);
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid))
      throw new Error(
        `the data dir ${dataDir} is in use by wfctl up (process ${pid}); stop that one first (Ctrl-C), or start ` +
          'another platform with --data DIR and --port-base N',
      );
  }
  writeFileSync(lock, `${process.pid}\n`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    rmSync(lock, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
