// step.artifact_upload / _download / _list / _delete against a storage.artifact module (`store`*).
// upload: `key`*, `content_from` (dotted path of the content; `content_encoding` raw|text|base64) or
// `source` (a file path), `metadata` (templates) -> {key, store, size}. download: `key`*, and
// `content_encoding` (the content comes back as `artifact_content`) or `dest` (a file path) -> {key,
// size, metadata}. list: `prefix`, `output` (artifacts) -> {<output>: [{key, size, modified,
// metadata}], count}. delete: `key`* -> {key, deleted}. A bad key or content is a 400, a missing
// artifact a 404, an oversize one a 413.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  ConfigValueError,
  formatValue,
  ValidationError,
  type PipelineContext,
  type StepBuildContext,
  type StepFactory,
  type StepSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, decodeBase64, moduleRef } from '../support/index.ts';
import { ArtifactStoreCap, ArtifactTooLargeError, type ArtifactStore } from './artifact-store.ts';
import { InvalidKeyError, NotFoundError } from './local-file-store.ts';

const ENCODINGS = ['raw', 'text', 'base64'];

const storeField = { key: 'store', type: 'string', required: true, description: 'storage.artifact module' } as const;
const keyField = { key: 'key', type: 'string', required: true, description: 'artifact key (template)' } as const;

export const artifactUploadSchema: TypeSchema = {
  description: 'Uploads content or a file to an artifact store',
  configFields: [
    storeField,
    keyField,
    { key: 'content_from', type: 'string', description: 'dotted path of the content' },
    { key: 'content_encoding', type: 'select', options: ENCODINGS, default: 'raw' },
    { key: 'source', type: 'filepath', description: 'file to upload (template)' },
    { key: 'metadata', type: 'map', description: 'name -> value (templates)' },
  ],
  outputs: [
    { key: 'key', type: 'string' },
    { key: 'store', type: 'string' },
    { key: 'size', type: 'number' },
  ],
};

export const artifactDownloadSchema: TypeSchema = {
  description: 'Downloads an artifact into the step output or to a file',
  configFields: [
    storeField,
    keyField,
    { key: 'content_encoding', type: 'select', options: ENCODINGS, description: 'output the content, so encoded' },
    { key: 'dest', type: 'filepath', description: 'write the content to this file (template)' },
  ],
  outputs: [
    { key: 'key', type: 'string' },
    { key: 'artifact_content', type: 'string' },
    { key: 'size', type: 'number' },
    { key: 'metadata', type: 'map' },
  ],
};

export const artifactListSchema: TypeSchema = {
  description: 'Lists the artifacts under a key prefix',
  configFields: [
    storeField,
    { key: 'prefix', type: 'string', description: 'key prefix (template)' },
    { key: 'output', type: 'string', default: 'artifacts', description: 'output key of the list' },
  ],
  outputs: [
    { key: 'artifacts', type: 'array', description: '[{key, size, modified, metadata}]' },
    { key: 'count', type: 'number' },
  ],
};

export const artifactDeleteSchema: TypeSchema = {
  description: 'Deletes an artifact',
  configFields: [storeField, keyField],
  outputs: [
    { key: 'key', type: 'string' },
    { key: 'deleted', type: 'boolean' },
  ],
};

function storeOf(spec: StepSpec, ctx: StepBuildContext): { store: () => ArtifactStore; storeName: string } {
  const storeName = new ConfigReader(spec.config).requiredString('store', 'store: artifacts');
  return { store: moduleRef(ctx, spec, storeName, 'artifact store', ArtifactStoreCap), storeName };
}

/** The artifact key: a template resolved per run (leading slashes dropped). */
function keyOf(spec: StepSpec, ctx: StepBuildContext): (pc: PipelineContext) => string {
  const key = ctx.templates.compile(
    new ConfigReader(spec.config).requiredString('key', 'key: "builds/{{ .id }}/app.bin"'),
    ['key'],
  );
  return (pc) => formatValue(key.resolve(pc)).replace(/^\/+/, '');
}

function encoding(cfg: ConfigReader, key: string): string | undefined {
  const v = cfg.string(key)?.toLowerCase();
  if (v === undefined) return undefined;
  if (!ENCODINGS.includes(v))
    throw new ConfigValueError(`"${key}" must be one of: ${ENCODINGS.join(', ')} (got "${v}")`, { path: [key] });
  return v;
}

/** Store errors as the client sees them. */
function clientError(step: string, err: unknown): Error {
  const msg = `${step}: ${(err as Error).message}`;
  if (err instanceof InvalidKeyError) return new ValidationError(msg, 400);
  if (err instanceof NotFoundError) return new ValidationError(msg, 404);
  if (err instanceof ArtifactTooLargeError) return new ValidationError(msg, 413);
  return new Error(msg);
}

export const createArtifactUploadStep: StepFactory = (spec, ctx) => {
  const c = storeOf(spec, ctx);
  const keyFor = keyOf(spec, ctx);
  const cfg = new ConfigReader(spec.config);
  const contentFrom = cfg.string('content_from');
  const source = cfg.string('source');
  const enc = encoding(cfg, 'content_encoding');
  if (!contentFrom && !source)
    throw new ConfigValueError('either "content_from" or "source" is required', { path: ['content_from'] });
  if (contentFrom && source)
    throw new ConfigValueError('only one of "content_from" and "source" may be set', { path: ['source'] });
  if (source && enc)
    throw new ConfigValueError('"content_encoding" goes with "content_from" only', { path: ['content_encoding'] });
  const sourcePath = source ? ctx.templates.compile(source, ['source']) : undefined;
  const metadata = ctx.templates.compile(cfg.map('metadata') ?? {}, ['metadata']);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const key = keyFor(pc);
      const md: Record<string, string> = {};
      for (const [k, v] of Object.entries(metadata.resolve(pc) as Record<string, unknown>)) md[k] = formatValue(v);
      let data: Buffer;
      if (sourcePath) {
        const path = formatValue(sourcePath.resolve(pc));
        try {
          data = await readFile(path);
        } catch (err) {
          throw new Error(
            `artifact_upload "${spec.name}": cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`,
          );
        }
      } else {
        const raw = ctx.templates.lookup(pc, contentFrom!);
        if (typeof raw !== 'string')
          throw new ValidationError(`artifact_upload "${spec.name}": "${contentFrom}" is not a string`);
        const decoded = enc === 'base64' ? decodeBase64(raw) : Buffer.from(raw, 'utf8');
        if (!decoded) throw new ValidationError(`artifact_upload "${spec.name}": "${contentFrom}" is not valid base64`);
        data = decoded;
      }
      try {
        await c.store().upload(key, data, md);
      } catch (err) {
        throw clientError(`artifact_upload "${spec.name}"`, err);
      }
      return { output: { key, store: c.storeName, size: data.length } };
    },
  };
};

export const createArtifactDownloadStep: StepFactory = (spec, ctx) => {
  const c = storeOf(spec, ctx);
  const keyFor = keyOf(spec, ctx);
  const cfg = new ConfigReader(spec.config);
  const enc = encoding(cfg, 'content_encoding');
  const dest = cfg.string('dest');
  if (!enc && !dest)
    throw new ConfigValueError('either "content_encoding" or "dest" is required', {
      path: ['content_encoding'],
      hint: 'content_encoding: base64 puts the content in the output',
    });
  if (enc && dest)
    throw new ConfigValueError('only one of "content_encoding" and "dest" may be set', { path: ['dest'] });
  const destPath = dest ? ctx.templates.compile(dest, ['dest']) : undefined;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const key = keyFor(pc);
      let got: Awaited<ReturnType<ArtifactStore['download']>>;
      try {
        got = await c.store().download(key);
      } catch (err) {
        throw clientError(`artifact_download "${spec.name}"`, err);
      }
      if (destPath) {
        const path = formatValue(destPath.resolve(pc));
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, got.data);
        return { output: { key, dest: path, size: got.data.length, metadata: got.metadata } };
      }
      const content = enc === 'base64' ? got.data.toString('base64') : got.data.toString('utf8');
      return { output: { key, artifact_content: content, size: got.data.length, metadata: got.metadata } };
    },
  };
};

export const createArtifactListStep: StepFactory = (spec, ctx) => {
  const c = storeOf(spec, ctx);
  const cfg = new ConfigReader(spec.config);
  const prefix = ctx.templates.compile(cfg.string('prefix', '')!, ['prefix']);
  const output = cfg.string('output', 'artifacts')!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const p = formatValue(prefix.resolve(pc)).replace(/^\/+/, '');
      const found = await c.store().list(p === '<no value>' ? '' : p);
      const items = found.map((a) => ({
        key: a.key,
        size: a.size,
        modified: a.modified.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        metadata: a.metadata,
      }));
      return { output: { [output]: items, count: items.length } };
    },
  };
};

export const createArtifactDeleteStep: StepFactory = (spec, ctx) => {
  const c = storeOf(spec, ctx);
  const keyFor = keyOf(spec, ctx);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const key = keyFor(pc);
      try {
        await c.store().delete(key);
      } catch (err) {
        throw clientError(`artifact_delete "${spec.name}"`, err);
      }
      return { output: { key, deleted: true } };
    },
  };
};
