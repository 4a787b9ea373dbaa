// step.sandbox_exec's configuration, as upstream reads it (module/pipeline_step_sandbox_exec.go and
// sandbox/profile.go): a security profile gives the defaults, explicit keys override them. Pure.
import { ConfigValueError, parseDuration, type ConfigMap } from '../../engine/index.ts';

export const SANDBOX_PROFILES = ['strict', 'standard', 'permissive'] as const;
export type SandboxProfile = (typeof SANDBOX_PROFILES)[number];

/** Upstream's default image; the node maps it to this host's own tools (sandbox-runner.ts). */
export const DEFAULT_SANDBOX_IMAGE = 'cgr.dev/chainguard/wolfi-base:latest';

export interface SandboxMount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface SandboxSettings {
  profile: SandboxProfile;
  image: string;
  /** Bytes; 0 = no limit. */
  memoryLimit: number;
  /** CPUs; 0 = no limit. */
  cpuLimit: number;
  /** Milliseconds; upstream's runner uses 10 minutes when the profile sets none. */
  timeoutMs: number;
  /** "none" = no network; anything else (bridge, host, ...) = this host's network. */
  network: string;
  /** Capabilities dropped from the command (lower-case, without CAP_), or ["all"]. */
  capDrop: string[];
  noNewPrivileges: boolean;
  /** Max bytes of one file the command writes (upstream: the 64 MiB /tmp tmpfs of the strict profile). */
  fileSizeLimit: number;
  env: Record<string, string>;
  mounts: SandboxMount[];
}

const MiB = 1024 * 1024;
const RUNNER_DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** sandbox.BuildSandboxConfig: the profile's defaults (unknown profiles are refused earlier). */
export function profileDefaults(profile: SandboxProfile, image: string): SandboxSettings {
  const base = { profile, image, env: {}, mounts: [], fileSizeLimit: 0 };
  switch (profile) {
    case 'permissive':
      return {
        ...base,
        memoryLimit: 0,
        cpuLimit: 0,
        timeoutMs: RUNNER_DEFAULT_TIMEOUT_MS,
        network: 'bridge',
        capDrop: [],
        noNewPrivileges: false,
      };
    case 'standard':
      return {
        ...base,
        memoryLimit: 256 * MiB,
        cpuLimit: 0.5,
        timeoutMs: 5 * 60_000,
        network: 'bridge',
        capDrop: ['net_admin', 'sys_admin', 'sys_ptrace', 'setuid', 'setgid'],
        noNewPrivileges: true,
      };
    case 'strict':
      return {
        ...base,
        memoryLimit: 256 * MiB,
        cpuLimit: 0.5,
        timeoutMs: 5 * 60_000,
        network: 'none',
        capDrop: ['all'],
        noNewPrivileges: true,
        fileSizeLimit: 64 * MiB,
      };
  }
}

/** Upstream's parseMemoryLimit: "128m", "1g", "512k", "100b" or bare bytes. */
export function parseMemoryLimit(text: string): number {
  const m = /^(\d+)([kKmMgGbB]?)$/.exec(text.trim());
  if (!m) throw new Error(`invalid memory limit "${text}" (use a number with k, m or g, e.g. "128m")`);
  const unit = m[2]!.toLowerCase();
  const multiplier = unit === 'k' ? 1024 : unit === 'm' ? MiB : unit === 'g' ? 1024 * MiB : 1;
  return Number(m[1]) * multiplier;
}

export interface SandboxStepConfig {
  settings: SandboxSettings;
  /** Empty when the config has none: upstream accepts that and fails when the step runs. */
  command: string[];
  /** "" or "local-docker" = this node; other names are remote runners. */
  execEnv: string;
  failOnError: boolean;
}

/** Reads the step's config; bad values are located config errors. */
export function readSandboxStepConfig(config: ConfigMap): SandboxStepConfig {
  const str = (key: string): string | undefined => {
    const v = config[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new ConfigValueError(`"${key}" must be a string`, { path: [key] });
    return v;
  };
  const profileText = str('security_profile') ?? 'strict';
  if (!(SANDBOX_PROFILES as readonly string[]).includes(profileText))
    throw new ConfigValueError(`security_profile must be strict, standard, or permissive (got "${profileText}")`, {
      path: ['security_profile'],
    });
  const settings = profileDefaults(profileText as SandboxProfile, str('image') ?? DEFAULT_SANDBOX_IMAGE);

  const command: string[] = [];
  const rawCommand = config.command;
  if (rawCommand !== undefined && rawCommand !== null) {
    if (!Array.isArray(rawCommand))
      throw new ConfigValueError(`'command' must be a list of strings`, {
        path: ['command'],
        hint: 'e.g. command: ["sh", "-c", "echo hello"]',
      });
    rawCommand.forEach((c, i) => {
      if (typeof c !== 'string') throw new ConfigValueError(`command[${i}] must be a string`, { path: ['command', i] });
      command.push(c);
    });
  }

  const memory = str('memory_limit');
  if (memory !== undefined) {
    try {
      settings.memoryLimit = parseMemoryLimit(memory);
    } catch (err) {
      throw new ConfigValueError(`invalid memory_limit: ${(err as Error).message}`, { path: ['memory_limit'] });
    }
  }
  const cpu = config.cpu_limit;
  if (cpu !== undefined && cpu !== null) {
    if (typeof cpu !== 'number' || !(cpu >= 0))
      throw new ConfigValueError(`cpu_limit must be a number of CPUs, e.g. 0.5 (got ${JSON.stringify(cpu)})`, {
        path: ['cpu_limit'],
      });
    if (cpu > 0) settings.cpuLimit = cpu;
  }
  const timeout = str('timeout');
  if (timeout !== undefined) {
    let ms: number;
    try {
      ms = parseDuration(timeout);
    } catch (err) {
      throw new ConfigValueError(`invalid timeout "${timeout}": ${(err as Error).message}`, { path: ['timeout'] });
    }
    if (ms > 0) settings.timeoutMs = ms;
  }
  settings.network = str('network') ?? settings.network;

  const env = config.env;
  if (env !== undefined && env !== null) {
    if (typeof env !== 'object' || Array.isArray(env))
      throw new ConfigValueError(`"env" must be a map of NAME: value`, { path: ['env'] });
    for (const [k, v] of Object.entries(env)) settings.env[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }

  const mounts = config.mounts;
  if (mounts !== undefined && mounts !== null) {
    if (!Array.isArray(mounts)) throw new ConfigValueError(`"mounts" must be a list`, { path: ['mounts'] });
    mounts.forEach((m, i) => {
      if (typeof m !== 'object' || m === null || Array.isArray(m))
        throw new ConfigValueError(`mounts[${i}] must be a map`, { path: ['mounts', i] });
      const mount = m as ConfigMap;
      const source = typeof mount.source === 'string' ? mount.source : '';
      const target = typeof mount.target === 'string' ? mount.target : '';
      if (!source.startsWith('/') || !target.startsWith('/'))
        throw new ConfigValueError(`mounts[${i}] needs an absolute "source" (host path) and "target"`, {
          path: ['mounts', i],
          hint: 'e.g. { source: /srv/app, target: /app, read_only: true }',
        });
      settings.mounts.push({ source, target, readOnly: mount.read_only === true });
    });
  }

  const failOnError = config.fail_on_error;
  if (failOnError !== undefined && typeof failOnError !== 'boolean')
    throw new ConfigValueError(`fail_on_error must be true or false`, { path: ['fail_on_error'] });

  return { settings, command, execEnv: str('exec_env') ?? '', failOnError: failOnError !== false };
}

/** Go's time.Duration String() for whole milliseconds, for upstream's messages ("5m0s", "1.5s"). */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
