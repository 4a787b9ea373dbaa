// The node's filesystem, as hostPath volumes and local PersistentVolumes see it: a sandbox directory
// under the data dir. A node path "/srv/data" is <root>/srv/data on the real disk; ".." cannot climb
// out, and a symlink inside the sandbox that points outside it is refused, so no manifest reaches the
// devcluster's own state, credentials or the rest of the user's files.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, posix, sep } from 'node:path';

/** A volume that cannot be set up; `message` is what the kubelet's FailedMount event says. */
export class MountError extends Error {
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(message);
  }
}

export const HOST_PATH_TYPES = [
  '',
  'DirectoryOrCreate',
  'Directory',
  'FileOrCreate',
  'File',
  'Socket',
  'CharDevice',
  'BlockDevice',
];

export class HostFilesystem {
  constructor(readonly root: string) {}

  /** The real path behind a node path (no I/O). */
  resolve(nodePath: string): string {
    return join(this.root, posix.normalize(`/${nodePath}`));
  }

  /**
   * Makes a hostPath volume ready as the kubelet does for its `type` (creating DirectoryOrCreate and
   * FileOrCreate paths, and untyped ones as directories) and returns its real path.
   */
  setUp(volume: string, nodePath: string, type = ''): string {
    const real = this.resolve(nodePath);
    mkdirSync(this.root, { recursive: true, mode: 0o755 });
    const exists = existsSync(real);
    if (!exists) {
      if (type === '' || type === 'DirectoryOrCreate') {
        this.checkInside(volume, nodePath, dirname(real));
        mkdirSync(real, { recursive: true, mode: 0o755 });
        chmodSync(real, 0o755);
      } else if (type === 'FileOrCreate') {
        this.checkInside(volume, nodePath, dirname(real));
        mkdirSync(dirname(real), { recursive: true, mode: 0o755 });
        closeSync(openSync(real, 'a', 0o644));
      } else {
        throw new MountError(volume, `hostPath type check failed: ${nodePath} is not a ${describe(type)}`);
      }
    }
    this.checkInside(volume, nodePath, real);
    const stat = statSync(real);
    const ok =
      type === '' ||
      ((type === 'Directory' || type === 'DirectoryOrCreate') && stat.isDirectory()) ||
      ((type === 'File' || type === 'FileOrCreate') && stat.isFile()) ||
      (type === 'Socket' && stat.isSocket()) ||
      (type === 'CharDevice' && stat.isCharacterDevice()) ||
      (type === 'BlockDevice' && stat.isBlockDevice());
    if (!ok) throw new MountError(volume, `hostPath type check failed: ${nodePath} is not a ${describe(type)}`);
    return real;
  }

  /** Refuses a path whose existing part resolves (through symlinks) outside the sandbox. */
  checkInside(volume: string, nodePath: string, real: string): void {
    let probe = real;
    while (!existsSync(probe) && probe !== dirname(probe)) probe = dirname(probe);
    const root = realpathSync(this.root);
    const resolved = realpathSync(probe);
    if (resolved !== root && !resolved.startsWith(root + sep)) {
      throw new MountError(
        volume,
        `hostPath ${nodePath} resolves outside the node's filesystem (${this.root}); devcluster confines ` +
          `hostPath volumes to it`,
      );
    }
  }
}

function describe(type: string): string {
  if (type.startsWith('Directory')) return 'directory';
  if (type.startsWith('File')) return 'file';
  if (type === 'Socket') return 'socket';
  return type === 'CharDevice' ? 'character device' : 'block device';
}
