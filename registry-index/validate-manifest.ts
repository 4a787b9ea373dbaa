// The one per-file validator: bytes of a manifest in, typed manifest and located problems out.
// Used by `wfctl registry validate`, the index builder (sync), the pre-receive hook and the PR checker.
import { isUtf8 } from 'node:buffer';
import { JsonSyntaxError, parseJson, type JsonDocument } from './json-source.ts';
import type { Manifest } from './manifest.ts';
import { schemaProblems } from './manifest-schema.ts';
import type { Problem } from './problem.ts';
import { manifestRuleProblems, policyRules, type ManifestContext } from './rules.ts';

/** Manifests are small documents; anything larger is a mistake (or an attack) and is not parsed. */
export const maxManifestBytes = 1024 * 1024;

export interface ManifestValidation {
  /** Present when the file is well-formed enough to index: no errors apart from policy rules. */
  manifest?: Manifest;
  problems: Problem[];
}

export function validateManifestBytes(ctx: ManifestContext, bytes: Uint8Array): ManifestValidation {
  const at = (rule: string, message: string, hint: string, line = 1, column = 1): ManifestValidation => ({
    problems: [{ file: ctx.file, line, column, jsonPointer: '', rule, message, hint, severity: 'error' }],
  });
  if (bytes.byteLength > maxManifestBytes) {
    return at(
      'manifest-size',
      `manifest is ${formatBytes(bytes.byteLength)}, over the ${formatBytes(maxManifestBytes)} limit`,
      'a manifest describes a plugin; keep archives and large data out of it',
    );
  }
  if (!isUtf8(bytes)) return at('encoding', 'manifest is not valid UTF-8', 'save the file as UTF-8');
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let doc: JsonDocument;
  try {
    doc = parseJson(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    return at(
      'json-syntax',
      `invalid JSON: ${err.message}`,
      'fix the syntax at this position (a JSON linter or `node -e ' +
        '"JSON.parse(require(\'fs\').readFileSync(0))" < file` shows the same spot)',
      err.position.line,
      err.position.column,
    );
  }
  return validateManifestDocument(ctx, doc);
}

function validateManifestDocument(ctx: ManifestContext, doc: JsonDocument): ManifestValidation {
  const problems: Problem[] = doc.duplicateKeys.map((d) => ({
    file: ctx.file,
    ...d.position,
    jsonPointer: d.pointer,
    rule: 'json-duplicate-key',
    message:
      `property "${d.pointer.slice(d.pointer.lastIndexOf('/') + 1)}" appears more than once; only the ` +
      `last one would count`,
    hint: 'remove the duplicate (often left over from a merge)',
    severity: 'error' as const,
  }));
  const value = doc.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push({
      file: ctx.file,
      line: 1,
      column: 1,
      jsonPointer: '',
      rule: 'schema/type',
      message: 'a manifest must be a JSON object',
      hint: 'start the file with { and put the fields inside',
      severity: 'error',
    });
    return { problems };
  }
  const schema = schemaProblems(ctx.file, doc);
  problems.push(...schema);
  // Rules read typed fields; on a document that failed the schema their findings would be noise.
  if (schema.length === 0) problems.push(...manifestRuleProblems(ctx, doc, value as Manifest));
  return problems.some(blocksIndexing) ? { problems } : { manifest: value as Manifest, problems };
}

function blocksIndexing(p: Problem): boolean {
  return p.severity === 'error' && !policyRules.has(p.rule);
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024
    ? `${(n / 1024 / 1024).toFixed(1)} MiB`
    : n >= 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${n} B`;
}
