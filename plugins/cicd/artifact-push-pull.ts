// step.artifact_push and step.artifact_pull (upstream's cicd plugin, module/pipeline_step_artifact_*.go):
// a file into the run's artifacts, and one back out to a file from an earlier run's artifacts (or a URL).
// Artifacts live in a storage.artifact module (run-artifacts.ts). Paths, keys, the execution id and
// the URL are templates resolved per run; relative paths are relative to the config file's directory.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  ConfigValueError,
  formatValue,
  ValidationError,
  type CompiledValue,
  type PipelineContext,
  type StepBuildContext,
  type StepFactory,
  type StepSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, resolveFrom } from '../support/index.ts';
import { executionIdOf, runArtifactsOf, storeField } from './run-artifacts.ts';

const PULL_SOURCES = ['previous_execution', 'url', 's3'] as const;

export const artifactPushSchema: TypeSchema = {
  description: "Stores a file in the run's artifacts (a storage.artifact module)",
  configFields: [
    { key: 'source_path', type: 'filepath', required: true, description: 'the file to store (template)' },
    { key: 'key', type: 'string', required: true, description: 'artifact key within the run (template)' },
    { key: 'dest', type: 'string', default: 'artifact_store', description: 'a label echoed in the output' },
    storeField,
  ],
  outputs: [
    { key: 'key', type: 'string' },
    { key: 'size', type: 'number' },
    { key: 'checksum', type: 'string', description: 'SHA-256, hex' },
    { key: 'dest', type: 'string' },
  ],
};

export const artifactPullSchema: TypeSchema = {
  description: "Writes an artifact of a run (or a URL's content) to a file",
  configFields: [
    { key: 'source', type: 'select', required: true, options: [...PULL_SOURCES] },
    { key: 'dest', type: 'filepath', required: true, description: 'the file to write (template)' },
    { key: 'key', type: 'string', description: 'previous_execution, s3: the artifact key (template)' },
    { key: 'execution_id', type: 'string', description: "the run that stored it (default: this run's)" },
    { key: 'url', type: 'string', description: 'url: fetched with GET, must answer 200 (template)' },
    storeField,
  ],
  outputs: [
    { key: 'source', type: 'string' },
    { key: 'key', type: 'string' },
    { key: 'dest', type: 'string' },
    { key: 'size', type: 'number' },
    { key: 'bytes_written', type: 'number' },
  ],
};

/** Relative paths resolve against the config file's directory, as the git steps' directories. */
function pathOf(value: CompiledValue, pc: PipelineContext, spec: StepSpec, ctx: StepBuildContext): string {
  return resolveFrom(String(spec.config._config_dir ?? ctx.configDir), text(value, pc));
}

function text(value: CompiledValue | undefined, pc: PipelineContext): string {
  if (!value) return '';
  const v = value.resolve(pc);
  return v === undefined || v === null ? '' : formatValue(v);
}

export const createArtifactPushStep: StepFactory = (spec, ctx) => {
  const label = `artifact_push step "${spec.name}"`;
  const cfg = new ConfigReader(spec.config);
  const sourcePath = ctx.templates.compile(cfg.requiredString('source_path', 'source_path: dist/app.tar.gz'), [
    'source_path',
  ]);
  const key = ctx.templates.compile(cfg.requiredString('key', 'key: build-output'), ['key']);
  const dest = cfg.string('dest') || 'artifact_store';
  const artifacts = runArtifactsOf(spec, ctx, label);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const executionId = executionIdOf(pc, label);
      const path = pathOf(sourcePath, pc, spec, ctx);
      const artifactKey = text(key, pc);
      if (!artifactKey) throw new ValidationError(`${label}: the key is empty`);
      let data: Buffer;
      try {
        data = await readFile(path);
      } catch (err) {
        throw new Error(`${label}: failed to open source "${path}": ${(err as NodeJS.ErrnoException).code}`);
      }
      await artifacts.put(executionId, artifactKey, data);
      const checksum = createHash('sha256').update(data).digest('hex');
      return { output: { key: artifactKey, size: data.length, checksum, dest } };
    },
  };
};

export const createArtifactPullStep: StepFactory = (spec, ctx) => {
  const label = `artifact_pull step "${spec.name}"`;
  const cfg = new ConfigReader(spec.config);
  const source = cfg.requiredString('source', `source: ${PULL_SOURCES.join(' | ')}`);
  if (!(PULL_SOURCES as readonly string[]).includes(source))
    throw new ConfigValueError(`invalid source "${source}" (expected previous_execution, url, or s3)`, {
      path: ['source'],
    });
  const dest = ctx.templates.compile(cfg.requiredString('dest', 'dest: work/app.tar.gz'), ['dest']);
  const optional = (k: string) => {
    const v = cfg.string(k);
    return v ? ctx.templates.compile(v, [k]) : undefined;
  };
  const key = source === 'url' ? optional('key') : ctx.templates.compile(cfg.requiredString('key'), ['key']);
  const executionId = optional('execution_id');
  const url = source === 'url' ? ctx.templates.compile(cfg.requiredString('url'), ['url']) : undefined;
  const artifacts = runArtifactsOf(spec, ctx, label);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const artifactKey = text(key, pc);
      let data: Buffer;
      let size = -1;
      if (url) {
        const target = text(url, pc);
        let res: Response;
        try {
          res = await fetch(target, { signal: pc.signal });
        } catch (err) {
          throw new Error(`${label}: HTTP request failed: ${(err as Error).message}`);
        }
        if (res.status !== 200) {
          await res.body?.cancel();
          throw new Error(`${label}: HTTP ${res.status} from ${target}`);
        }
        data = Buffer.from(await res.arrayBuffer());
        size = Number(res.headers.get('content-length') ?? -1);
      } else {
        const id = text(executionId, pc) || executionIdOf(pc, label);
        if (!artifactKey) throw new ValidationError(`${label}: the key is empty`);
        data = await artifacts.get(id, artifactKey);
      }
      const path = pathOf(dest, pc, spec, ctx);
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, data);
      } catch (err) {
        throw new Error(`${label}: failed to write "${path}": ${(err as NodeJS.ErrnoException).code}`);
      }
      return {
        output: {
          source,
          key: artifactKey,
          dest: path,
          size: size > 0 ? size : data.length,
          bytes_written: data.length,
        },
      };
    },
  };
};
