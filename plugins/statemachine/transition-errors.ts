import { ValidationError } from '../../engine/index.ts';
import { TransitionError } from './state-machine-engine.ts';

const STATUS: Record<TransitionError['code'], number> = {
  not_found: 404,
  unknown_transition: 400,
  invalid_state: 409,
  hook_failed: 422,
  limit: 429,
};

/**
 * Transition failures are the caller's problem (unknown instance, wrong state), so over HTTP they
 * become client errors (404/409/...) instead of upstream's 500; anything else is a 500.
 */
export function transitionErrorStatus(err: unknown): number {
  return err instanceof TransitionError ? STATUS[err.code] : 500;
}

export function asClientError(err: unknown): unknown {
  return err instanceof TransitionError ? new ValidationError(err.message, STATUS[err.code]) : err;
}
