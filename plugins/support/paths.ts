import { isAbsolute, posix, resolve } from 'node:path';

/**
 * A config path resolved against `base` (the config dir or data dir) unless it is absolute; an
 * absolute path is read through WORKFLOW_PATH_MAP (see hostPath).
 */
export function resolveFrom(base: string, path: string): string {
  return isAbsolute(path) ? hostPath(path) : resolve(base, path);
}

let cachedMap: { source: string; entries: Array<[string, string]> } | undefined;

function pathMap(env: NodeJS.ProcessEnv): Array<[string, string]> {
  const source = env.WORKFLOW_PATH_MAP ?? '';
  if (cachedMap?.source === source) return cachedMap.entries;
  let entries: Array<[string, string]> = [];
  if (source !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch {
      parsed = undefined;
    }
    const valid =
      parsed !== null &&
      typeof parsed === 'object' &&
      !Array.isArray(parsed) &&
      Object.entries(parsed).every(([k, v]) => posix.isAbsolute(k) && typeof v === 'string' && isAbsolute(v));
    if (!valid)
      throw new Error(
        'WORKFLOW_PATH_MAP must be a JSON object from absolute container paths to absolute host paths, e.g. ' +
          '{"/data":"/srv/app-data"}',
      );
    // the longest container path that holds a path wins, as the innermost of nested mounts
    entries = Object.entries(parsed as Record<string, string>)
      .map(([k, v]): [string, string] => [posix.normalize(k).replace(/(.)\/$/, '$1'), v])
      .sort((a, b) => b[0].length - a[0].length);
  }
  cachedMap = { source, entries };
  return entries;
}

/**
 * Where an absolute path of the app's container lives on this host. A runtime without mount
 * namespaces (devcluster's node agent) runs the engine on the host and says in WORKFLOW_PATH_MAP
 * where each of the container's mounts is, e.g. {"/data":"/var/lib/devcluster/storage/pvc-1"}; a path
 * under none of them, or with no map, is the path itself.
 */
export function hostPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const entries = pathMap(env);
  if (entries.length === 0) return path;
  // `..` is resolved in the container's view first, so `/data/../etc` is `/etc`, whatever /data is
  const normal = posix.normalize(path);
  for (const [container, host] of entries) {
    if (container === '/') return resolve(host, `.${normal}`);
    if (normal === container) return host;
    if (normal.startsWith(`${container}/`)) return resolve(host, normal.slice(container.length + 1));
  }
  return normal;
}
