// Time limits every HTTP server we run applies to receiving a request, so a client that trickles
// its headers or body (slowloris, a stalled upload) holds a connection for seconds, not minutes.
// Node's defaults are 60 s for headers and 300 s for a whole request, checked only every 30 s.
// Only receiving is bounded: a response may stream for as long as it likes (watches, logs).
//
// WORKFLOW_REQUEST_TIMEOUT_MS raises or lowers the request limit of every server at once, for slow
// links (a large `git push`) or for tests.

export interface ServerTimeoutOptions {
  /** Time to receive a whole request, headers and body (default 60 s). */
  requestTimeoutMs?: number;
  /** Time to receive the headers (default 20 s, never more than the request timeout). */
  headersTimeoutMs?: number;
  /** Keep-alive idle time between requests (Node's default, 5 s, unless given). */
  keepAliveTimeoutMs?: number;
}

/** The options of http.createServer / https.createServer that set these limits. */
export interface ServerTimeouts {
  requestTimeout: number;
  headersTimeout: number;
  keepAliveTimeout?: number;
  connectionsCheckingInterval: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;

export function serverTimeouts(options: ServerTimeoutOptions = {}): ServerTimeouts {
  const fromEnv = Number(process.env.WORKFLOW_REQUEST_TIMEOUT_MS);
  const requestTimeout =
    Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : (options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const headersTimeout = Math.min(options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeout);
  return {
    requestTimeout,
    headersTimeout,
    ...(options.keepAliveTimeoutMs !== undefined ? { keepAliveTimeout: options.keepAliveTimeoutMs } : {}),
    // how often Node checks the limits above; its default (30 s) would add up to that much to each
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeout / 4))),
  };
}
