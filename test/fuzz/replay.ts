/** Sends exact bytes to a fuzz target over TCP and waits until the connection is over. */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { restore } from './cases.js';
import type { FuzzTargets, ServerKind } from './target.js';
import { openStream } from './transport.js';

/** As the fuzzer's "linger" ending: give the server a moment to answer before our FIN. */
const LINGER_MS = 150;
const CLOSE_WAIT_MS = 3000;

function settle(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Writes `chunks` (secret placeholders restored) one by one, lingers, sends FIN, and resolves once the
 * server closed the connection or CLOSE_WAIT_MS passed. Rejects when the connection cannot be opened.
 */
export async function replayChunks(
  targets: FuzzTargets,
  server: ServerKind,
  chunks: readonly Buffer[],
): Promise<void> {
  const target = server === 'platform' ? targets.platform : targets.broker;
  const stream = await openStream('tcp', target.mqttPort);
  for (const chunk of chunks) {
    await stream.write(restore(chunk, targets.logins));
    await yieldToLoop();
  }
  await settle(stream.closed, LINGER_MS);
  stream.end();
  if (!(await settle(stream.closed, CLOSE_WAIT_MS))) stream.destroy();
}
