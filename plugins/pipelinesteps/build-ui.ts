// step.build_ui: builds a UI from source (`install_cmd`, then `build_cmd`, in `source_dir`) and
// copies the build output (`dist_dir`, default dist) to `output_dir`, so a static.fileserver can
// serve it. Paths are relative to the config file; the whole build is bounded by `timeout`.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { durationOr, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { optString, reqString } from './step-config.ts';

export const buildUiSchema: TypeSchema = {
  description: 'Builds a UI from source and publishes the output directory',
  configFields: [
    { key: 'source_dir', type: 'filepath', required: true },
    { key: 'output_dir', type: 'filepath', required: true },
    { key: 'install_cmd', type: 'string', default: 'npm install' },
    { key: 'build_cmd', type: 'string', default: 'npm run build' },
    { key: 'dist_dir', type: 'string', default: 'dist', description: 'build output inside source_dir' },
    { key: 'timeout', type: 'duration', default: '5m' },
  ],
};

function run(command: string, cwd: string, deadline: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, { cwd, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGTERM'), Math.max(0, deadline - Date.now()));
    const onAbort = () => child.kill('SIGTERM');
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => reject(new Error(`cannot run "${command}": ${err.message}`)));
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (code === 0) resolvePromise();
      else
        reject(
          new Error(
            `"${command}" ${sig ? `was stopped (${sig}; timeout?)` : `exited with ${code}`}: ` +
              `${tail.trim().split('\n').slice(-5).join(' | ')}`,
          ),
        );
    });
  });
}

export const createBuildUiStep: StepFactory = (spec) => {
  const cfg = spec.config;
  const base = typeof cfg._config_dir === 'string' ? cfg._config_dir : process.cwd();
  const sourceDir = resolve(base, reqString(cfg, 'source_dir'));
  const outputDir = resolve(base, reqString(cfg, 'output_dir'));
  const install = optString(cfg, 'install_cmd', 'npm install')!;
  const build = optString(cfg, 'build_cmd', 'npm run build')!;
  const distDir = resolve(sourceDir, optString(cfg, 'dist_dir', 'dist')!);
  const timeoutMs = durationOr(cfg.timeout, 300_000);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      if (!existsSync(sourceDir)) throw new Error(`build_ui "${spec.name}": source_dir ${sourceDir} does not exist`);
      const started = Date.now();
      const deadline = started + timeoutMs;
      if (install.trim() !== '') await run(install, sourceDir, deadline, pc.signal);
      if (build.trim() !== '') await run(build, sourceDir, deadline, pc.signal);
      if (distDir !== outputDir) {
        if (!existsSync(distDir)) throw new Error(`build_ui "${spec.name}": the build did not produce ${distDir}`);
        rmSync(outputDir, { recursive: true, force: true });
        cpSync(distDir, outputDir, { recursive: true });
      }
      return { output: { status: 'success', output_dir: outputDir, duration_ms: Date.now() - started } };
    },
  };
};
