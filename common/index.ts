// common/: public surface. Mechanisms several folders share, one implementation each: the work queue
// (with its clock and retry rate limiters), the token-bucket rate limiter, the HTTP and TCP reverse proxy and
// the "did you mean" match.
// It imports nothing else of ours, so every folder may import it.
export { closestMatch } from './closest-match.ts';
export { type Clock, ManualClock, systemClock } from './clock.ts';
export { type QueueMetrics, WorkQueue } from './work-queue.ts';
export { DefaultControllerRateLimiter, ExponentialBackoff, type RateLimiter } from './queue-rate-limiter.ts';
export { type TakeResult, type TokenBucketOptions, TokenBuckets } from './token-buckets.ts';
export {
  forwardConnection,
  forwardRequest,
  forwardUpgrade,
  type ProxyFailure,
  type ProxyOptions,
  REPLAY_LIMIT,
  upstreamPath,
} from './reverse-proxy.ts';
