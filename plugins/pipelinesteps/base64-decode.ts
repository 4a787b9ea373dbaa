// step.base64_decode: decodes the base64 text at `input_from` (a dotted path), either a data URI
// (`format: data_uri`, default: data:<mime>;base64,<data>) or bare base64 (`raw_base64`), and checks
// it: `max_size_bytes`, `allowed_types` (MIME types), `validate_magic_bytes` (the bytes must be of
// the type the data URI claims). Output {valid, content_type, extension, size_bytes, data (the
// canonical base64)}; content that fails a check gives {valid: false, reason}, not an error, so a
// pipeline can answer the client (upstream behaviour).
import type { StepFactory, TypeSchema } from '../../engine/index.ts';
import { ConfigReader, decodeBase64 } from '../support/index.ts';
import { extensionFor, sniffContentType } from './content-sniff.ts';
import { oneOf } from './step-config.ts';

export const base64DecodeSchema: TypeSchema = {
  description: 'Decodes and checks base64 content (a data URI or bare base64)',
  configFields: [
    { key: 'input_from', type: 'string', required: true, description: 'dotted path of the base64 text' },
    { key: 'format', type: 'select', options: ['data_uri', 'raw_base64'], default: 'data_uri' },
    { key: 'allowed_types', type: 'array', description: 'accepted MIME types (default: any)' },
    { key: 'max_size_bytes', type: 'number', description: 'largest decoded size (0: no limit)' },
    { key: 'validate_magic_bytes', type: 'boolean', default: false },
  ],
  outputs: [
    { key: 'valid', type: 'boolean' },
    { key: 'reason', type: 'string', description: 'why the content was refused (valid: false)' },
    { key: 'content_type', type: 'string' },
    { key: 'extension', type: 'string' },
    { key: 'size_bytes', type: 'number' },
    { key: 'data', type: 'string', description: 'the content as standard base64' },
  ],
};

function parseDataUri(s: string): { mime: string; data: string } | string {
  if (!s.startsWith('data:')) return "missing 'data:' prefix";
  const comma = s.indexOf(',');
  if (comma < 0) return "missing ',' separator";
  const parts = s.slice(5, comma).split(';');
  if (!parts.slice(1).some((p) => p.trim() === 'base64'))
    return "only base64-encoded data-URIs are supported (missing ';base64')";
  return { mime: parts[0]!.trim().toLowerCase() || 'text/plain', data: s.slice(comma + 1) };
}

const sameType = (a: string, b: string) => {
  const norm = (m: string) => (m.toLowerCase() === 'image/jpg' ? 'image/jpeg' : m.toLowerCase());
  return norm(a) === norm(b);
};

export const createBase64DecodeStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const inputFrom = cfg.requiredString('input_from', 'input_from: steps.parse.body.image');
  const format = oneOf(spec.config, 'format', ['data_uri', 'raw_base64'] as const, 'data_uri');
  const allowed = cfg.stringList('allowed_types').map((t) => t.trim().toLowerCase());
  const maxSize = cfg.number('max_size_bytes', 0)!;
  const validateMagic = cfg.boolean('validate_magic_bytes', false)!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const invalid = (reason: string) => ({ output: { valid: false, reason } });
      const raw = ctx.templates.lookup(pc, inputFrom);
      if (typeof raw !== 'string') throw new Error(`base64_decode "${spec.name}": "${inputFrom}" is not a string`);
      let claimed = '';
      let encoded = raw;
      if (format === 'data_uri') {
        const uri = parseDataUri(raw);
        if (typeof uri === 'string') return invalid(`invalid data-URI: ${uri}`);
        claimed = uri.mime;
        encoded = uri.data;
      }
      const bytes = decodeBase64(encoded);
      if (!bytes) return invalid('base64 decode failed: not valid base64');
      if (maxSize > 0 && bytes.length > maxSize)
        return invalid(`decoded size ${bytes.length} exceeds max_size_bytes ${maxSize}`);
      const detected = sniffContentType(bytes);
      if (validateMagic && claimed && !sameType(detected, claimed))
        return invalid(`magic bytes indicate "${detected}" but data-URI claims "${claimed}"`);
      const contentType = claimed && !validateMagic ? claimed : detected;
      if (allowed.length > 0 && !allowed.includes(contentType.toLowerCase()))
        return invalid(`content type "${contentType}" is not in allowed_types`);
      return {
        output: {
          valid: true,
          content_type: contentType,
          extension: extensionFor(contentType),
          size_bytes: bytes.length,
          data: bytes.toString('base64'),
        },
      };
    },
  };
};
