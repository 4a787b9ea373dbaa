// plugins/cicd: the CI/CD steps of upstream's cicd plugin that run on this machine: the git steps
// (system git), step.gate, step.shell_exec (in step.sandbox_exec's local sandbox) and the run
// artifacts' step.artifact_push/pull (a storage.artifact module). The container, cloud-build, deploy
// and scanner steps need Docker, AWS CodeBuild or scanners that are not here, and are not registered.
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import {
  artifactPullSchema,
  artifactPushSchema,
  createArtifactPullStep,
  createArtifactPushStep,
} from './artifact-push-pull.ts';
import { createGateStep, gateSchema } from './gate.ts';
import { createShellExecStep, shellExecSchema } from './shell-exec.ts';
import {
  createGitCheckoutStep,
  createGitCloneStep,
  createGitCommitStep,
  createGitPushStep,
  createGitTagStep,
  gitCheckoutSchema,
  gitCloneSchema,
  gitCommitSchema,
  gitPushSchema,
  gitTagSchema,
} from './git-steps.ts';

export const cicdPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  steps: {
    'step.artifact_pull': createArtifactPullStep,
    'step.artifact_push': createArtifactPushStep,
    'step.gate': createGateStep,
    'step.git_checkout': createGitCheckoutStep,
    'step.git_clone': createGitCloneStep,
    'step.git_commit': createGitCommitStep,
    'step.git_push': createGitPushStep,
    'step.git_tag': createGitTagStep,
    'step.shell_exec': createShellExecStep,
  },
  stepSchemas: {
    'step.artifact_pull': artifactPullSchema,
    'step.artifact_push': artifactPushSchema,
    'step.gate': gateSchema,
    'step.git_checkout': gitCheckoutSchema,
    'step.git_clone': gitCloneSchema,
    'step.git_commit': gitCommitSchema,
    'step.git_push': gitPushSchema,
    'step.git_tag': gitTagSchema,
    'step.shell_exec': shellExecSchema,
  },
};

export { GitCommandError } from './git-command.ts';
