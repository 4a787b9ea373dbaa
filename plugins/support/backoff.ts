// Exponential backoff for anything that retries (webhook.sender, step.retry_with_backoff) and a
// sleep that a pipeline's cancellation cuts short.

/** Delay before retry number `attempt` (1-based): initial * multiplier^(attempt-1), capped at max. */
export function exponentialDelay(initialMs: number, multiplier: number, maxMs: number, attempt: number): number {
  return Math.min(initialMs * multiplier ** (attempt - 1), maxMs);
}

/** Resolves after `ms`; rejects with the signal's reason as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('cancelled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason ?? new Error('cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
