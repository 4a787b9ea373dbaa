// Which images this node can run, and how: the image -> local runtime table. devcluster has no
// container runtime, so an image is only a name that picks a local command. Built in:
//   workflow-engine:*                     our engine: `node bin/wfctl.js <args>` (args default ["run"])
//   workflow-server-admin:*               upstream's server with its admin plugin: the same, with `--admin`
//   workflow-server:*, workflow-server-*:*,
//   ghcr.io/gocodealone/workflow:*        upstream's server images: our engine, with the upstream server's
//                                         flags (-config, -data-dir, -addr, -plugin-dir, ...) translated
// `wfctl devcluster --runtimes FILE` adds mappings (image pattern -> command template), checked first.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface ImageRuntime {
  /** The process for the image's entrypoint, e.g. [process.execPath, '<repo>/bin/wfctl.js']. */
  command: string[];
  /** Arguments used when the container sets none. */
  defaultArgs?: string[];
  /** A container `command` naming this entrypoint (e.g. "wfctl") runs `command` with the rest as arguments. */
  entrypointName?: string;
  /**
   * Where the program keeps its state (its data-dir flag, else this environment variable): a directory
   * no volume holds is given the container's own directory, as in its image's writable layer.
   */
  dataDir?: { flag: string; env: string };
  /** Turns the container's arguments (upstream's flags) into the runtime's arguments and environment. */
  translateArgs?: (args: string[]) => { args: string[]; env: Record<string, string> };
  /**
   * A command template from a runtimes file: `{{command}}` and `{{args}}` (whole elements) splice in the
   * container's command and args; `{{port}}` anywhere is the container's loopback port, `{{port:N}}`
   * the loopback port of pod port N.
   */
  template?: boolean;
}

/** Image pattern -> runtime, in the order patterns are tried. */
export type ImageTable = Array<[pattern: string, runtime: ImageRuntime]>;

export class RuntimeFileError extends Error {}

/** Flags of upstream's `cmd/server` and how each reaches our engine (UPSTREAM.md 9.3). */
const SERVER_FLAG_ENV: Record<string, string> = {
  addr: 'WORKFLOW_ADDR',
  'license-key': 'WORKFLOW_LICENSE_KEY',
  'jwt-secret': 'WORKFLOW_JWT_SECRET',
  'anthropic-key': 'WORKFLOW_AI_API_KEY',
  'anthropic-model': 'WORKFLOW_AI_MODEL',
  'load-workflows': 'WORKFLOW_LOAD_WORKFLOWS',
  'import-bundle': 'WORKFLOW_IMPORT_BUNDLE',
  'database-dsn': 'WORKFLOW_DATABASE_DSN',
  'multi-workflow-addr': 'WORKFLOW_MULTI_WORKFLOW_ADDR',
  'admin-email': 'WORKFLOW_ADMIN_EMAIL',
  'admin-password': 'WORKFLOW_ADMIN_PASSWORD',
  'plugin-dir': 'WORKFLOW_PLUGIN_DIR',
};
const SERVER_BOOL_FLAGS = new Set(['watch']);

/**
 * Upstream's server flags (Go `flag` syntax: -f v, -f=v, --f v) as `wfctl run` arguments: -config is
 * the config file, -data-dir is --data-dir, and the flags that upstream also reads from the environment
 * (-addr among them) become those variables. On devcluster the pod's own WORKFLOW_ADDR wins over -addr:
 * the node agent gives the pod its address. An unknown flag is an error, like upstream's.
 */
export function translateServerArgs(args: string[]): { args: string[]; env: Record<string, string> } {
  const out = ['run'];
  const env: Record<string, string> = {};
  let config: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const m = /^--?([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(args[i]!);
    if (!m) {
      if (config === undefined && !args[i]!.startsWith('-')) {
        config = args[i];
        continue;
      }
      throw new Error(`unexpected argument ${JSON.stringify(args[i])}`);
    }
    const name = m[1]!;
    if (SERVER_BOOL_FLAGS.has(name)) {
      env.WORKFLOW_WATCH = m[2] ?? 'true';
      continue;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new Error(`flag needs an argument: -${name}`);
    if (name === 'config') config = value;
    else if (name === 'data-dir') out.push('--data-dir', value);
    else if (SERVER_FLAG_ENV[name]) env[SERVER_FLAG_ENV[name]!] = value;
    else
      throw new Error(
        `flag provided but not defined: -${name} (upstream server flags understood here: -config, -data-dir, ` +
          `${Object.keys(SERVER_FLAG_ENV)
            .map((f) => `-${f}`)
            .join(', ')}, -watch)`,
      );
  }
  if (config !== undefined) out.push(config);
  return { args: out, env };
}

export function defaultImageTable(engineImage = 'workflow-engine'): ImageTable {
  const wfctl = fileURLToPath(new URL('../../bin/wfctl.js', import.meta.url));
  const dataDir = { flag: '--data-dir', env: 'WORKFLOW_DATA_DIR' };
  const engine: ImageRuntime = {
    command: [process.execPath, wfctl],
    defaultArgs: ['run'],
    entrypointName: 'wfctl',
    dataDir,
  };
  const upstream: ImageRuntime = { command: [process.execPath, wfctl], translateArgs: translateServerArgs, dataDir };
  // the image upstream builds with workflow-plugin-admin in its plugin dir (scenario 07): the admin on :8081
  const upstreamAdmin: ImageRuntime = {
    ...upstream,
    translateArgs: (args) => {
      const translated = translateServerArgs(args);
      return { ...translated, args: ['run', '--admin', ...translated.args.slice(1)] };
    },
  };
  return [
    [`${engineImage}:*`, engine],
    ['workflow-server-admin:*', upstreamAdmin],
    ['workflow-server:*', upstream],
    ['workflow-server-*:*', upstream],
    ['ghcr.io/gocodealone/workflow:*', upstream],
  ];
}

/**
 * Does `image` match `pattern`? `*` matches within one path segment. A pattern without "/" is about the
 * last segment (any registry or repository path); one without a tag means any tag. A digest is ignored.
 */
export function imageMatches(pattern: string, image: string): boolean {
  let ref = image.split('@')[0]!;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  if (!last.includes(':')) ref += ':latest';
  let pat = pattern;
  const patLast = pat.slice(pat.lastIndexOf('/') + 1);
  if (!patLast.includes(':')) pat += ':*';
  const subject = pat.includes('/') ? ref : ref.slice(ref.lastIndexOf('/') + 1);
  const regex = new RegExp(`^${pat.split('*').map(escapeRegex).join('[^/]*')}$`);
  return regex.test(subject);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function findRuntime(table: ImageTable, image: string): ImageRuntime | undefined {
  return table.find(([pattern]) => imageMatches(pattern, image))?.[1];
}

/**
 * A runtimes file: YAML (or JSON) mapping image patterns to command templates, e.g.
 *   "python:3*": [python3, -m, http.server, "{{port}}"]
 *   "busybox:*": ["{{command}}", "{{args}}"]
 */
export function loadRuntimesFile(file: string): ImageTable {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RuntimeFileError(`${file}: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new RuntimeFileError(
      `${file}: expected a mapping of image patterns to command templates, e.g. "python:3*": [python3, ` +
        `app.py, "{{port}}"]`,
    );
  return Object.entries(doc as Record<string, unknown>).map(([pattern, command]) => {
    if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string'))
      throw new RuntimeFileError(
        `${file}: ${JSON.stringify(pattern)}: the command template must be a non-empty list of strings (got ` +
          `${JSON.stringify(command)})`,
      );
    if (!/^[\w.\-/:*@]+$/.test(pattern))
      throw new RuntimeFileError(`${file}: ${JSON.stringify(pattern)} is not an image pattern (like "nginx:*")`);
    return [pattern, { command: command as string[], template: true }];
  });
}

/** Expands a runtimes-file template for one container (pure). */
export function expandTemplate(
  template: string[],
  container: { command?: string[]; args?: string[] },
  ports: { primary: number; byPodPort: ReadonlyMap<number, number> },
): string[] {
  const uses = template.some((t) => t === '{{command}}' || t === '{{args}}');
  if (!uses && container.command?.length)
    throw new Error(`this image's runtime has a fixed entrypoint; put the arguments in args instead of command`);
  const port = (podPort: string | undefined) => {
    if (podPort === undefined) return String(ports.primary);
    const host = ports.byPodPort.get(Number(podPort));
    if (host === undefined)
      throw new Error(`the runtime template names {{port:${podPort}}}, but ${podPort} is not a port of this pod`);
    return String(host);
  };
  const out = template.flatMap((t) => {
    if (t === '{{command}}') return container.command ?? [];
    if (t === '{{args}}') return container.args ?? [];
    return [t.replace(/\{\{port(?::(\d+))?\}\}/g, (_m, podPort: string | undefined) => port(podPort))];
  });
  return uses ? out : [...out, ...(container.args ?? [])];
}
