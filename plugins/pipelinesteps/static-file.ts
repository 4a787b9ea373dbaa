// step.static_file: answers with a file read once when the config loads (`file`, relative to the
// config file's directory), with `content_type`* and optional `cache_control`; stops the pipeline.
// Without a live request the content comes back as output {content_type, body}.
import { readFileSync } from 'node:fs';
import { ConfigValueError, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader, resolveFrom } from '../support/index.ts';
import { markHandled } from './json-response.ts';

export const staticFileSchema: TypeSchema = {
  description: 'Answers with a file (read when the config loads) and stops the pipeline',
  configFields: [
    { key: 'file', type: 'filepath', required: true, description: "relative to the config file's directory" },
    { key: 'content_type', type: 'string', required: true },
    { key: 'cache_control', type: 'string', description: 'Cache-Control header value' },
  ],
  outputs: [
    { key: 'content_type', type: 'string' },
    { key: 'body', type: 'string', description: 'the content, when no HTTP request is being answered' },
  ],
};

export const createStaticFileStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const file = cfg.requiredString('file', 'file: ./public/index.html');
  const contentType = cfg.requiredString('content_type', 'content_type: text/html; charset=utf-8');
  const cacheControl = cfg.string('cache_control');
  const path = resolveFrom(String(spec.config._config_dir ?? ctx.configDir), file);
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (err) {
    throw new ConfigValueError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        path: ['file'],
        hint: "the path is relative to the config file's directory",
      },
    );
  }
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const res = pc.http?.res;
      if (!res) {
        const output = { content_type: contentType, body: content.toString('utf8') };
        return { output: cacheControl ? { ...output, cache_control: cacheControl } : output, stop: true };
      }
      if (!res.headersSent) {
        res.statusCode = 200;
        res.setHeader('Content-Type', contentType);
        res.setHeader('Content-Length', content.length);
        if (cacheControl) res.setHeader('Cache-Control', cacheControl);
        res.end(pc.http?.req.method === 'HEAD' ? undefined : content);
      }
      markHandled(pc);
      return { output: { content_type: contentType }, stop: true };
    },
  };
};
