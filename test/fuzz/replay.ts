/** Sends exact bytes to a fuzz target and waits until the connection is over. */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { type Ending, restore } from './cases.js';
import { waitOrTimeout } from './runner.js';
import type { FuzzTargets, ServerKind } from './target.js';
import { openStream, type TransportKind } from './transport.js';

/** As the fuzzer's "linger" and "hold" endings: let the server answer before our FIN. */
const LINGER_MS = 150;
const HOLD_MS = 1600;
const CLOSE_WAIT_MS = 3000;

/**
 * Writes `chunks` (secret placeholders restored) one by one, then leaves as `ending` says (see
 * `Ending`), and resolves once the server closed the connection or CLOSE_WAIT_MS passed. Rejects
 * when the connection cannot be opened.
 */
export async function replayChunks(
  targets: FuzzTargets,
  server: ServerKind,
  chunks: readonly Buffer[],
  options: { transport?: TransportKind; ending?: Ending } = {},
): Promise<void> {
  const target = server === 'platform' ? targets.platform : targets.broker;
  const transport = options.transport ?? 'tcp';
  const stream = await openStream(transport, transport === 'tcp' ? target.mqttPort : target.httpPort);
  for (const chunk of chunks) {
    await stream.write(restore(chunk, targets.logins));
    await yieldToLoop();
  }
  const ending = options.ending ?? 'linger';
  if (ending === 'destroy') return stream.destroy();
  if (ending !== 'end') await waitOrTimeout(stream.closed, ending === 'hold' ? HOLD_MS : LINGER_MS);
  stream.end();
  if (!(await waitOrTimeout(stream.closed, CLOSE_WAIT_MS))) stream.destroy();
}
