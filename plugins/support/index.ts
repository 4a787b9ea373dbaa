// plugins/support: helpers shared by the data/state plugins (config reading with located errors,
// Go durations, JSON over HTTP). Not a plugin itself; it registers no types.
export { ConfigReader, isPlainObject, describe } from './config-reader.ts';
export { formatGoDuration } from './duration.ts';
export {
  writeJson,
  readBody,
  readJson,
  requestPath,
  BodyTooLargeError,
  DEFAULT_MAX_BODY_BYTES,
  type JsonBody,
} from './http-json.ts';
export { resolveFrom } from './paths.ts';
export { pluginManifestInfo as manifestInfo } from '../../engine/index.ts';
export { matchPath, parseRouteKey, type RouteKey } from './route-pattern.ts';
export { readSeedFile, type SeedRecord } from './seed-file.ts';
export { moduleRef } from './module-ref.ts';
export { exponentialDelay, sleep } from './backoff.ts';
export { decodeBase64 } from './base64.ts';
export { connectRedis, RedisModuleConnection, type RedisConnection, type RedisOptions } from './redis.ts';
export { CircuitBreaker, type CircuitState } from './circuit-breaker.ts';
export { checkedBy } from './config-check.ts';
export { compileJsonSchema, schemaProblems } from './json-schema.ts';
export { aesGcmOpen, aesGcmSeal } from './aes-gcm.ts';
export {
  decryptEventFields,
  encryptEventFields,
  resolveEventKey,
  EVENT_ENCRYPTION_ALGORITHM,
  type EventEncryption,
} from './event-crypto.ts';
