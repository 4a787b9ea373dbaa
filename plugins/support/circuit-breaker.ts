// The one circuit breaker state machine, shared by step.resilient_circuit_breaker (which wraps a
// nested step) and step.circuit_breaker (a gate in front of the rest of a pipeline). Apart from
// steps and clocks, so it can be tested directly.
//
// closed --(failureThreshold failures in a row)--> open --(resetMs passed)--> half-open
// half-open --(successThreshold successes in a row)--> closed;  half-open --(a failure)--> open

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private failures = 0;
  private trialSuccesses = 0;
  private openedAt?: number;

  constructor(
    private readonly failureThreshold: number,
    private readonly resetMs: number,
    private readonly successThreshold = 1,
  ) {}

  state(now: number): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return now - this.openedAt >= this.resetMs ? 'half-open' : 'open';
  }

  /** Whether a call may go through now (closed, or half-open after the reset timeout). */
  allows(now: number): boolean {
    return this.state(now) !== 'open';
  }

  succeeded(): void {
    this.failures = 0;
    if (this.openedAt === undefined) return;
    if (++this.trialSuccesses >= this.successThreshold) {
      this.openedAt = undefined;
      this.trialSuccesses = 0;
    }
  }

  failed(now: number): void {
    this.failures++;
    this.trialSuccesses = 0;
    // a failed half-open trial opens it again at once
    if (this.openedAt !== undefined || this.failures >= this.failureThreshold) this.openedAt = now;
  }
}
