// step.ui_scaffold and step.ui_scaffold_analyze (upstream module/pipeline_step_scaffold*.go): read an
// OpenAPI spec (JSON or YAML) from the request body, or else from the pipeline's `spec` (a string) or
// the trigger's `body` (a string), and answer with the generated Vite + React UI as a ZIP
// (ui_scaffold) or with the analysis as JSON (ui_scaffold_analyze), then stop. Outside HTTP the
// result is the step's output. A missing or unparsable spec answers 400 {"error"} under HTTP.
import { zipSync } from 'fflate';
import type { ConfigMap, PipelineContext, StepFactory, TypeSchema } from '../../engine/index.ts';
import { markHandled } from './json-response.ts';
import { analyzeSpecText, type ScaffoldOptions } from './ui-scaffold-analyze.ts';
import { scaffoldFiles } from './ui-scaffold-files.ts';
import { optString } from './step-config.ts';

const options = [
  { key: 'title', type: 'string', description: 'UI title (default: the spec info.title, else "My App")' },
  { key: 'theme', type: 'string', description: 'recorded in the analysis (default "auto")' },
] as const;

export const uiScaffoldSchema: TypeSchema = {
  description: 'Generates a Vite + React + TypeScript UI from an OpenAPI spec and answers with it as a ZIP',
  configFields: [
    ...options,
    { key: 'auth', type: 'boolean', description: 'add login/register pages even without auth endpoints' },
    { key: 'filename', type: 'string', default: 'scaffold.zip', description: 'ZIP filename' },
  ],
  outputs: [
    { key: 'status', type: 'number', description: 'HTTP response status (200 on success)' },
    { key: 'bytes', type: 'number', description: 'size of the ZIP' },
    { key: 'zip_bytes', type: 'bytes', description: 'the ZIP, outside HTTP' },
  ],
};

export const uiScaffoldAnalyzeSchema: TypeSchema = {
  description: 'Analyzes an OpenAPI spec and returns parsed resource/operation structure as JSON',
  configFields: [...options],
  outputs: [
    { key: 'status', type: 'number', description: 'HTTP response status (200 on success)' },
    { key: 'Resources', type: 'array', description: 'outside HTTP: the analysis (Title, Operations, ...)' },
  ],
};

function readOptions(config: ConfigMap): ScaffoldOptions {
  return { title: optString(config, 'title'), theme: optString(config, 'theme'), auth: config.auth === true };
}

/** The spec: the raw request body, else the current `spec`, else the trigger's `body`, as upstream. */
function specText(pc: PipelineContext): string {
  const body = pc.http?.rawBody;
  if (body && body.length > 0) return body.toString('utf8');
  if (typeof pc.current.spec === 'string') return pc.current.spec;
  if (typeof pc.triggerData.body === 'string') return pc.triggerData.body;
  throw new Error('no OpenAPI spec provided in request body');
}

/** Go's json.Encoder: HTML-escaped, one line, newline-terminated. */
const goJson = (value: unknown) =>
  `${JSON.stringify(value).replaceAll('<', '\\u003c').replaceAll('>', '\\u003e').replaceAll('&', '\\u0026')}\n`;

/** Under HTTP: 400 {"error"} and stop. Otherwise the step fails with `context` before the message. */
function answerError(pc: PipelineContext, context: string, err: unknown) {
  const message = (err as Error).message;
  const res = pc.http?.res;
  if (!res) throw new Error(`${context}: ${message}`, { cause: err });
  if (!res.headersSent) {
    res.writeHead(400, { 'Content-Type': 'application/json' });
    res.end(goJson({ error: message }));
  }
  markHandled(pc);
  return { output: { error: message }, stop: true };
}

export const createUiScaffoldAnalyzeStep: StepFactory = (spec) => {
  const opts = readOptions(spec.config);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      let data: ReturnType<typeof analyzeSpecText>;
      try {
        data = analyzeSpecText(specText(pc), opts);
      } catch (err) {
        return answerError(pc, `step.ui_scaffold_analyze "${spec.name}"`, err);
      }
      const res = pc.http?.res;
      if (!res) return { output: data as unknown as ConfigMap };
      if (!res.headersSent) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(goJson(data));
      }
      markHandled(pc);
      return { output: { status: 200 }, stop: true };
    },
  };
};

/** The ZIP upstream serves: every file under "ui/". */
export function scaffoldZip(text: string, opts: ScaffoldOptions): Buffer {
  const files = scaffoldFiles(analyzeSpecText(text, opts));
  return Buffer.from(zipSync(Object.fromEntries(files.map(([path, content]) => [`ui/${path}`, Buffer.from(content)]))));
}

export const createUiScaffoldStep: StepFactory = (spec) => {
  const opts = readOptions(spec.config);
  const filename = optString(spec.config, 'filename', 'scaffold.zip')!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      let text: string;
      let zip: Buffer;
      try {
        text = specText(pc);
      } catch (err) {
        return answerError(pc, `step.ui_scaffold "${spec.name}"`, err);
      }
      try {
        zip = scaffoldZip(text, opts);
      } catch (err) {
        return answerError(pc, `step.ui_scaffold "${spec.name}": analyzing spec`, err);
      }
      const res = pc.http?.res;
      if (!res) return { output: { zip_bytes: zip, bytes: zip.length } };
      if (!res.headersSent) {
        res.writeHead(200, {
          'Content-Type': 'application/zip',
          'Content-Disposition': `attachment; filename=${JSON.stringify(filename)}`,
        });
        res.end(zip);
      }
      markHandled(pc);
      return { output: { status: 200, bytes: zip.length }, stop: true };
    },
  };
};
