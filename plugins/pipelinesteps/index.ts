// plugins/pipelinesteps: the generic pipeline step types.
import type { EnginePlugin, PluginManifestInfo, StepFactory, TypeSchema } from '../../engine/index.ts';
import manifestJson from './manifest.json' with { type: 'json' };
import { buildUiSchema, createBuildUiStep } from './build-ui.ts';
import { conditionalSchema, createConditionalStep } from './conditional.ts';
import { createDelegateStep, delegateSchema } from './delegate.ts';
import { createForeachStep, foreachSchema } from './foreach.ts';
import { createHttpCallStep, httpCallSchema } from './http-call.ts';
import { createJsonResponseStep, jsonResponseSchema } from './json-response.ts';
import { createLogStep, logSchema } from './log.ts';
import { createParallelStep, parallelSchema } from './parallel.ts';
import { createPipelineOutputStep, pipelineOutputSchema } from './pipeline-output.ts';
import { createRawResponseStep, rawResponseSchema } from './raw-response.ts';
import { createRequestParseStep, requestParseSchema } from './request-parse.ts';
import { createSetStep, setSchema } from './set.ts';
import { createTransformStep, transformSchema } from './transform.ts';
import { createValidatePathParamStep, validatePathParamSchema } from './validate-path-param.ts';
import { createValidateStep, validateSchema } from './validate.ts';
import { createWebhookVerifyStep, webhookVerifySchema } from './webhook-verify.ts';
import { createWorkflowCallStep, workflowCallSchema } from './workflow-call.ts';

export { applyOperations } from './transform.ts';

const steps: Record<string, [StepFactory, TypeSchema]> = {
  'step.set': [createSetStep, setSchema],
  'step.log': [createLogStep, logSchema],
  'step.validate': [createValidateStep, validateSchema],
  'step.validate_path_param': [createValidatePathParamStep, validatePathParamSchema],
  'step.request_parse': [createRequestParseStep, requestParseSchema],
  'step.json_response': [createJsonResponseStep, jsonResponseSchema],
  'step.response': [createJsonResponseStep, jsonResponseSchema],
  'step.raw_response': [createRawResponseStep, rawResponseSchema],
  'step.conditional': [createConditionalStep, conditionalSchema],
  'step.http_call': [createHttpCallStep, httpCallSchema],
  'step.transform': [createTransformStep, transformSchema],
  'step.foreach': [createForeachStep, foreachSchema],
  'step.parallel': [createParallelStep, parallelSchema],
  'step.delegate': [createDelegateStep, delegateSchema],
  'step.workflow_call': [createWorkflowCallStep, workflowCallSchema],
  'step.webhook_verify': [createWebhookVerifyStep, webhookVerifySchema],
  'step.pipeline_output': [createPipelineOutputStep, pipelineOutputSchema],
  'step.build_ui': [createBuildUiStep, buildUiSchema],
};

export const pipelineStepsPlugin: EnginePlugin = {
  manifest: manifestJson as PluginManifestInfo,
  steps: Object.fromEntries(Object.entries(steps).map(([t, [f]]) => [t, f])),
  stepSchemas: Object.fromEntries(Object.entries(steps).map(([t, [, s]]) => [t, s])),
};
