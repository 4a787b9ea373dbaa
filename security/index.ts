// security/: public surface. Cross-cutting defences every server and walker shares, one
// implementation each: own-property access for client-supplied JSON, linear-time regular
// expressions, HTTP server timeouts, private data dirs and files, and credential redaction.
export { hasOwnKey, ownValue, setOwn } from './own-properties.ts';
export { compileLinearRegExp, linearRegExpProblem, RegExpSyntaxError, type LinearRegExp } from './linear-regexp.ts';
export { MAX_NESTING_DEPTH, nestingExceeds, textNestingOffset } from './nesting.ts';
export {
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  serverTimeouts,
  type ServerTimeoutOptions,
  type ServerTimeouts,
} from './server-timeouts.ts';
export { ensurePrivateDir, ensurePrivateFile, tightenFiles, writePrivateFile } from './private-files.ts';
export { tlsFront } from './tls-front.ts';
export { redactUrlCredentials, splitUrlCredentials } from './redact.ts';
