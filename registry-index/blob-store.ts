// The registry's content-addressed archive store: <dir>/sha256/<first 2 hex>/<64 hex>.
//
// `wfctl publish` uploads the archive here before it submits the manifest that names it
// (`blob:sha256:<hex>`), so a manifest never points at bytes the registry does not have. A blob is
// named by its own sha256, checked on the way in, and never replaced: uploading the same bytes again
// is a no-op, and different bytes cannot have the same name. Writes go to a temp file first and are
// renamed into place, so readers never see a partial blob.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const sha256HexPattern = /^[0-9a-f]{64}$/;

/** Larger uploads are refused: plugin archives are JavaScript and assets, not binaries of a whole OS. */
export const maxBlobBytes = 64 * 1024 * 1024;

export class BlobStore {
  constructor(readonly dir: string) {}

  private pathOf(digest: string): string {
    if (!sha256HexPattern.test(digest)) throw new Error(`"${digest}" is not a sha256 hex digest`);
    return join(this.dir, 'sha256', digest.slice(0, 2), digest);
  }

  has(digest: string): boolean {
    return sha256HexPattern.test(digest) && existsSync(this.pathOf(digest));
  }

  size(digest: string): number | undefined {
    return this.has(digest) ? statSync(this.pathOf(digest)).size : undefined;
  }

  read(digest: string): Buffer | undefined {
    return this.has(digest) ? readFileSync(this.pathOf(digest)) : undefined;
  }

  /** Store bytes under their sha256, which must equal `digest`. Returns whether the blob is new. */
  put(digest: string, bytes: Uint8Array): { created: boolean } {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== digest) throw new BlobDigestError(digest, actual);
    const path = this.pathOf(digest);
    if (existsSync(path)) return { created: false };
    mkdirSync(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(temp, bytes, { mode: 0o644 });
      renameSync(temp, path);
    } finally {
      rmSync(temp, { force: true });
    }
    return { created: true };
  }
}

export class BlobDigestError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the uploaded bytes hash to sha256:${actual}, not sha256:${expected}`);
    this.name = 'BlobDigestError';
  }
}
