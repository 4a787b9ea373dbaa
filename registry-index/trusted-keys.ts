// Trusted publisher keys, kept in the registry repository next to the manifests:
//
//   keys/<keyId>.json   { "keyId": "...", "publisher": "Acme", "publicKey": "<base64 raw Ed25519>",
//                         "plugins": ["acme-*", "hello"] }
//
// A key is trusted for the plugins its `plugins` patterns name (registry ids or manifest names; a
// trailing `*` matches a prefix; "*" alone matches every plugin), so one publisher's key cannot sign
// another publisher's plugin. Keys change through the same reviewed paths as manifests (pull request
// or push), so the registry repository is the root of trust; the one rule below decides whether a
// download's signature is acceptable, for the registry's checks and for the installer alike.
import { type JsonDocument, parseJson } from './json-source.ts';
import type { DownloadSignature } from './manifest.ts';
import type { Problem } from './problem.ts';
import { keyIdOf, verifyArchiveSignature } from './signing.ts';

export interface TrustedKey {
  keyId: string;
  publisher: string;
  /** base64 raw 32-byte Ed25519 public key. */
  publicKey: string;
  plugins: string[];
}

export interface KeyRecord {
  path: string;
  oid: string;
  /** Present when the file has no errors. */
  key?: TrustedKey;
  problems: Problem[];
}

const keyFilePattern = /^keys\/([0-9a-f]{16})\.json$/;

/** Whether a repository path is a key file's place (keys/<16 hex>.json); other files under keys/ are errors. */
export function isKeyPath(path: string): boolean {
  return path.startsWith('keys/');
}

export function parseKeyFile(path: string, oid: string, bytes: Uint8Array): KeyRecord {
  const problems: Problem[] = [];
  const problem = (line: number, column: number, pointer: string, rule: string, message: string, hint: string) =>
    problems.push({ file: path, line, column, jsonPointer: pointer, rule, message, hint, severity: 'error' });
  const named = keyFilePattern.exec(path);
  if (!named) {
    problem(
      1,
      1,
      '',
      'key-file-name',
      `${path} is not a key file: keys/ holds only keys/<keyId>.json`,
      'name the file after the key id that `wfctl keys generate` printed (16 hex digits), or move it out of keys/',
    );
    return { path, oid, problems };
  }
  let doc: JsonDocument;
  try {
    doc = parseJson(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    problem(1, 1, '', 'key-file', `${path} is not valid JSON: ${(err as Error).message}`, 'see docs/registry.md');
    return { path, oid, problems };
  }
  const v = doc.value as Record<string, unknown>;
  const at = (pointer: string) => doc.locate(pointer);
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    problem(1, 1, '', 'key-file', `${path} must hold a JSON object`, 'see docs/registry.md for the key file format');
    return { path, oid, problems };
  }
  const str = (field: string) => (typeof v[field] === 'string' && v[field] !== '' ? (v[field] as string) : undefined);
  for (const field of ['keyId', 'publisher', 'publicKey']) {
    if (!str(field)) {
      const { line, column } = at('');
      problem(
        line,
        column,
        `/${field}`,
        'key-file',
        `${path} needs a non-empty string "${field}"`,
        'wfctl keys generate prints a complete key file',
      );
    }
  }
  const plugins = v.plugins;
  if (!Array.isArray(plugins) || plugins.length === 0 || !plugins.every((p) => typeof p === 'string' && p !== '')) {
    const { line, column } = at(Array.isArray(plugins) ? '/plugins' : '');
    problem(
      line,
      column,
      '/plugins',
      'key-file',
      `${path} needs "plugins": the plugin ids or names this key may sign (e.g. ["acme-*"])`,
      'a key trusted for everything is ["*"]; prefer naming the publisher\'s plugins',
    );
  }
  if (problems.length > 0) return { path, oid, problems };
  const publicKey = str('publicKey')!;
  if (Buffer.from(publicKey, 'base64').length !== 32) {
    const { line, column } = at('/publicKey');
    problem(
      line,
      column,
      '/publicKey',
      'key-file',
      `publicKey of ${path} is not a base64 32-byte Ed25519 key`,
      'copy it from `wfctl keys generate`',
    );
    return { path, oid, problems };
  }
  const computed = keyIdOf(publicKey);
  if (str('keyId') !== computed || named[1] !== computed) {
    const { line, column } = at('/keyId');
    problem(
      line,
      column,
      '/keyId',
      'key-id-mismatch',
      `${path} declares key id "${str('keyId')}" but its public key's id is ${computed}`,
      `name the file keys/${computed}.json and set "keyId": "${computed}"`,
    );
    return { path, oid, problems };
  }
  return {
    path,
    oid,
    key: { keyId: computed, publisher: str('publisher')!, publicKey, plugins: plugins as string[] },
    problems,
  };
}

/** Whether a key may sign the plugin with this registry id / manifest name. */
export function keyCovers(key: TrustedKey, pluginId: string, manifestName: string): boolean {
  return key.plugins.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.endsWith('*')) {
      const prefix = pattern.slice(0, -1);
      return pluginId.startsWith(prefix) || manifestName.startsWith(prefix);
    }
    return pattern === pluginId || pattern === manifestName;
  });
}

export type SignatureVerdict =
  | { ok: true; key: TrustedKey }
  | { ok: false; rule: 'signature-untrusted' | 'signature-scope' | 'signature-invalid'; message: string; hint: string };

/**
 * Whether `signature` is a trusted key's valid signature of `name@version` with `sha256`. The one
 * decision behind the registry's signature rule and the installer's check.
 */
export function checkSignature(
  keys: ReadonlyMap<string, TrustedKey>,
  archive: { pluginId: string; name: string; version: string; sha256: string },
  signature: DownloadSignature,
): SignatureVerdict {
  const key = keys.get(signature.keyId);
  const what = `${archive.name}@${archive.version}`;
  if (!key)
    return {
      ok: false,
      rule: 'signature-untrusted',
      message: `${what} is signed by key ${signature.keyId}, which the registry does not trust`,
      hint: `the publisher adds keys/${signature.keyId}.json to the registry repository through a reviewed change`,
    };
  if (!keyCovers(key, archive.pluginId, archive.name))
    return {
      ok: false,
      rule: 'signature-scope',
      message:
        `${what} is signed by key ${key.keyId} of ${key.publisher}, which is trusted only for ` +
        `${key.plugins.join(', ')}`,
      hint:
        `sign with the plugin publisher's own key, or add "${archive.pluginId}" to "plugins" in ` +
        `keys/${key.keyId}.json`,
    };
  if (!verifyArchiveSignature(key.publicKey, archive, signature.sig))
    return {
      ok: false,
      rule: 'signature-invalid',
      message:
        `the signature of ${what} (sha256 ${archive.sha256.slice(0, 12)}...) does not verify with key ` +
        `${key.keyId} of ${key.publisher}`,
      hint: 'the archive, its sha256 or the signature was altered; publish again with `wfctl publish`',
    };
  return { ok: true, key };
}

/** Trusted keys of an index, by key id (only files without problems). */
export function trustedKeys(records: Iterable<KeyRecord>): Map<string, TrustedKey> {
  const out = new Map<string, TrustedKey>();
  for (const r of records) if (r.key) out.set(r.key.keyId, r.key);
  return out;
}
