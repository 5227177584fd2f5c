import type { Logger } from 'pino';
import { isRetryableConflict } from './errors.js';

/** A statement aborted by a deadlock or serialization conflict runs again, this many times at most. */
const MAX_ATTEMPTS = 5;

/** Runs `statement`, again after a deadlock or serialization failure; `onAttempt` counts each run. */
export async function withConflictRetry<T>(
  statement: () => Promise<T>,
  onAttempt: () => void,
  logger: Logger | undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    onAttempt();
    try {
      return await statement();
    } catch (err) {
      if (!isRetryableConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
      logger?.debug({ err, attempt }, 'cluster: statement aborted by a conflict; running it again');
    }
  }
}
