// HTTP for the blob store and the trusted keys:
//
//   PUT  /api/v1/blobs/sha256/{hex}   upload an archive (publish token; body = the bytes; digest checked)
//   GET  /api/v1/blobs/sha256/{hex}   the bytes (immutable), also HEAD
//   GET  /api/v1/keys                 trusted publisher keys of the served revision
import { timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import { unsafeArchiveReason } from './archive.ts';
import { BlobDigestError, type BlobStore, maxBlobBytes, sha256HexPattern } from './blob-store.ts';
import { immutableCache, noCache } from './http-cache.ts';
import type { TrustedKey } from './trusted-keys.ts';

export interface BlobApiOptions {
  blobs?: BlobStore;
  /** Bearer token that may upload blobs; without one, uploads are refused. */
  publishToken?: string;
  /** Trusted keys of the served index (undefined before the first sync). */
  keys: () => ReadonlyMap<string, TrustedKey> | undefined;
}

function fail(res: Response, status: number, error: string, hint?: string): void {
  res.status(status).setHeader('Cache-Control', noCache);
  res.json(hint ? { error, hint } : { error });
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function mountBlobApi(app: Express, opts: BlobApiOptions): void {
  app.get('/api/v1/keys', (_req: Request, res: Response) => {
    const keys = opts.keys();
    if (!keys) return fail(res, 503, 'the registry index is not loaded yet', 'retry in a few seconds');
    res.setHeader('Cache-Control', noCache);
    res.json({ keys: [...keys.values()] });
  });

  app.get('/api/v1/blobs/sha256/:digest', (req: Request, res: Response) => {
    const digest = req.params.digest as string;
    if (!sha256HexPattern.test(digest)) return fail(res, 400, `"${digest}" is not a sha256 hex digest`);
    const bytes = opts.blobs?.read(digest);
    if (!bytes) return fail(res, 404, `no blob sha256:${digest}`, 'the archive was never uploaded to this registry');
    res.setHeader('Content-Type', 'application/gzip');
    res.setHeader('Cache-Control', immutableCache);
    res.setHeader('ETag', `"${digest}"`);
    res.setHeader('X-Checksum-Sha256', digest);
    res.end(bytes);
  });

  app.put(
    '/api/v1/blobs/sha256/:digest',
    express.raw({ type: () => true, limit: maxBlobBytes }),
    async (req: Request, res: Response) => {
      const digest = req.params.digest as string;
      if (!opts.blobs || !opts.publishToken)
        return fail(
          res,
          403,
          'this registry does not accept uploads',
          'start it with --publish-token (or WFCTL_PUBLISH_TOKEN)',
        );
      if (!tokenMatches(req.get('authorization'), opts.publishToken))
        return fail(res, 401, 'a publish token is required to upload', 'pass --publish-token to wfctl publish');
      if (!sha256HexPattern.test(digest)) return fail(res, 400, `"${digest}" is not a sha256 hex digest`);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      // the store holds plugin archives: one that could not be installed safely is refused here already
      const unsafe = await unsafeArchiveReason(body);
      if (unsafe)
        return fail(
          res,
          422,
          `refusing the upload: the archive ${unsafe.replace(/^the archive /, '')}`,
          'pack it with wfctl publish',
        );
      try {
        const { created } = opts.blobs.put(digest, body);
        res.status(created ? 201 : 200).json({ digest: `sha256:${digest}`, size: body.length, created });
      } catch (err) {
        if (err instanceof BlobDigestError) return fail(res, 422, err.message, 'the upload was corrupted; retry');
        throw err;
      }
    },
  );
}
