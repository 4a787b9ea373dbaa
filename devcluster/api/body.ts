// Reads and decodes request bodies: a 3 MiB limit (etcd's request limit, as kube-apiserver enforces),
// JSON or YAML by Content-Type, and precise errors for malformed input.
import type { IncomingMessage } from 'node:http';
import { isScalar, parseAllDocuments } from 'yaml';
import { MAX_NESTING_DEPTH, nestingExceeds, textNestingOffset } from '../../security/index.ts';
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
      'the body of the request was in an unknown format - accepted media types include: application/json, ' +
        'application/yaml, application/vnd.kubernetes.protobuf',
    );
  }
  const text = raw.toString('utf8');
  if (!text.trim()) return undefined;
  const yaml = asYaml || type === 'application/yaml' || type === 'application/apply-patch+yaml';
  let value: unknown;
  if (yaml) value = decodeYaml(text);
  else {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw badRequest(
        `the request body is not valid JSON: ${(e as Error).message}; send a JSON document (or YAML with ` +
          `Content-Type: application/yaml)`,
      );
    }
  }
  if (nestingExceeds(value))
    throw badRequest(
      `the request body nests objects and lists more than ${MAX_NESTING_DEPTH} levels deep; no Kubernetes object does`,
    );
  return value;
}

function decodeYaml(text: string): unknown {
  if (textNestingOffset(text, MAX_NESTING_DEPTH, true) >= 0) throw tooDeep();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep();
    throw e;
  }
  const all = Array.isArray(docs) ? docs : [];
  const error = all.flatMap((d) => d.errors)[0];
  if (error) {
    if (/Maximum call stack/.test(error.message)) throw tooDeep();
    const at = error.linePos?.[0] ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
    throw badRequest(`the request body is not valid YAML${at}: ${error.message.split('\n')[0]}`);
  }
  // a trailing `---` leaves an empty document, which is no object
  const documents = all.filter((d) => !(d.contents === null || (isScalar(d.contents) && d.contents.source === '')));
  if (documents.length > 1) {
    throw badRequest(
      `the request body holds ${documents.length} YAML documents; send one object per request (kubectl apply ` +
        `-f sends each document of a file on its own)`,
    );
  }
  if (documents.length === 0) return undefined;
  try {
    return documents[0]!.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep();
    // the yaml package's guard against alias bombs ("billion laughs")
    if (e instanceof ReferenceError && /alias/i.test(e.message))
      throw badRequest(
        'the YAML body expands its aliases (*name) into too many nodes; write the values out instead of ' +
          'repeating aliases',
      );
    throw badRequest(`the request body is not valid YAML: ${(e as Error).message}`);
  }
}

function tooDeep() {
  return badRequest(`the request body nests more than ${MAX_NESTING_DEPTH} levels deep; no Kubernetes object does`);
}
