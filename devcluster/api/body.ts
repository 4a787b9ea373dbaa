// Reads and decodes request bodies: a 3 MiB limit (etcd's request limit, as kube-apiserver enforces),
// JSON or YAML by Content-Type, and precise errors for malformed input.
import type { IncomingMessage } from 'node:http';
import { parseDocument } from 'yaml';
import { ApiError, badRequest, tooLarge, unsupportedMediaType } from './errors.ts';
import type { PatchType } from './object-api.ts';
import { decodeKubernetesProtobuf, ProtobufUnsupported } from './protobuf.ts';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? 'application/json')
    .split(';')[0]!
    .trim()
    .toLowerCase();
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

export function patchTypeOf(req: IncomingMessage): PatchType {
  const type = PATCH_TYPES[mediaType(req)];
  if (!type) throw unsupportedMediaType(mediaType(req));
  return type;
}

/** Decodes a JSON or YAML body; empty bodies are undefined. */
export function decodeBody(req: IncomingMessage, raw: Buffer, asYaml = false): unknown {
  const type = mediaType(req);
  if (raw.length === 0) return undefined;
  if (type === 'application/vnd.kubernetes.protobuf') {
    try {
      return decodeKubernetesProtobuf(raw);
    } catch (e) {
      if (e instanceof ProtobufUnsupported) throw new ApiError(415, 'UnsupportedMediaType', e.message);
      throw e;
    }
  }
  if (type === 'application/cbor') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    );
  }
  const text = raw.toString('utf8');
  if (!text.trim()) return undefined;
  if (asYaml || type === 'application/yaml' || type === 'application/apply-patch+yaml') return decodeYaml(text);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(
      `the request body is not valid JSON: ${(e as Error).message}; send a JSON document (or YAML with Content-Type: application/yaml)`,
    );
  }
}

function decodeYaml(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw badRequest(`the request body is not valid YAML${at}: ${e.message.split('\n')[0]}`);
  }
  return doc.toJS();
}
