export { ensureKafka, kafkaSkip, KAFKA_ENV, repoRoot } from './kafka.js';
export { spawnRole, type CleanupContext, type SpawnedRole, type SpawnRoleOptions } from './spawn.js';
export { randomPrefix, waitFor, waitForHttp, type WaitForOptions } from './wait.js';
export { freePort } from './net.js';
export { copiesBySeq, eventContent, type CopiesBySeq } from './events.js';
