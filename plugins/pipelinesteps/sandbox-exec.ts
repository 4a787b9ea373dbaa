// step.sandbox_exec: runs `command` in a sandbox (upstream: a hardened Docker container; here the local
// sandbox of sandbox-runner.ts) -> {exit_code, stdout, stderr}. A non-zero exit stops the pipeline
// (successfully, as upstream) unless fail_on_error: false. The command and env are literal, as upstream's.
import type { StepFactory, TypeSchema } from '../../engine/index.ts';
import { DEFAULT_SANDBOX_IMAGE, readSandboxStepConfig, SANDBOX_PROFILES } from './sandbox-config.ts';
import { runInSandbox, SandboxError } from './sandbox-runner.ts';

export const sandboxExecSchema: TypeSchema = {
  description: 'Runs a command in a sandbox (a hardened child process here; a Docker container upstream)',
  configFields: [
    { key: 'image', type: 'string', default: DEFAULT_SANDBOX_IMAGE, description: 'mapped to a local command' },
    { key: 'command', type: 'array', description: 'argv, e.g. ["sh", "-c", "echo hi"] (required to run)' },
    { key: 'security_profile', type: 'select', options: [...SANDBOX_PROFILES], default: 'strict' },
    { key: 'memory_limit', type: 'string', description: 'e.g. "128m", "1g" (profile default 256m)' },
    { key: 'cpu_limit', type: 'number', description: 'CPUs; here a CPU-time cap of cpu_limit x timeout' },
    { key: 'timeout', type: 'duration', description: 'kills the sandbox after this (profile default 5m)' },
    { key: 'network', type: 'string', description: '"none" (strict default) or the host network (bridge, host)' },
    { key: 'env', type: 'map', description: 'the whole environment besides PATH, HOME, TMPDIR, LANG' },
    { key: 'mounts', type: 'array', description: '[{source, target, read_only}] host paths bound with PRoot' },
    { key: 'exec_env', type: 'string', description: '"" or local-docker: this node (remote runners not built)' },
    { key: 'fail_on_error', type: 'boolean', default: true, description: 'stop the pipeline on a non-zero exit' },
  ],
  outputs: [
    { key: 'exit_code', type: 'number' },
    { key: 'stdout', type: 'string', description: 'trimmed, at most 1 MiB' },
    { key: 'stderr', type: 'string', description: 'trimmed, at most 1 MiB' },
    { key: 'truncated', type: 'boolean', description: 'present (true) when a stream was cut at 1 MiB' },
  ],
};

export const createSandboxExecStep: StepFactory = (spec) => {
  const cfg = readSandboxStepConfig(spec.config);
  const fail = (stage: string, err: unknown) =>
    new Error(`sandbox_exec step "${spec.name}": ${stage}: ${(err as Error).message}`, { cause: err });
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      if (cfg.execEnv !== '' && cfg.execEnv !== 'local-docker') {
        const why =
          cfg.execEnv === 'ephemeral'
            ? 'exec_env "ephemeral" runs on argo.workflows, which is not built here'
            : `exec_env "${cfg.execEnv}" names a remote runner; sandbox.remote_runners (upstream's gRPC ` +
              `sandbox agent) is not built here: use exec_env "" (this node)`;
        throw fail('failed to create sandbox', new SandboxError(why));
      }
      let result: Awaited<ReturnType<typeof runInSandbox>>;
      try {
        result = await runInSandbox(cfg.settings, cfg.command, pc.signal);
      } catch (err) {
        if (err instanceof SandboxError) throw fail('execution failed', err);
        throw err;
      }
      const output = {
        exit_code: result.exitCode,
        stdout: result.stdout,
        stderr: result.stderr,
        ...(result.truncated ? { truncated: true } : {}),
      };
      return result.exitCode !== 0 && cfg.failOnError ? { output, stop: true } : { output };
    },
  };
};
