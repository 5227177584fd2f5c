import type { Server } from 'node:net';
import type { Duplex } from 'node:stream';

/** Binds `server` and resolves with the bound port; rejects on EADDRINUSE and friends. */
export function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('listener bound to a pipe, expected a TCP port'));
        return;
      }
      resolve(address.port);
    });
  });
}

/**
 * Closing a server in two steps: `stop()` stops accepting at once; the promise it returns
 * settles when the last connection is gone (`server.close` semantics). Both are idempotent.
 */
export function closeOnce(server: Server): () => Promise<void> {
  let closed: Promise<void> | undefined;
  return () => {
    // server.close calls back with ERR_SERVER_NOT_RUNNING if it never listened: closed all the same.
    closed ??= new Promise((resolve) => server.close(() => resolve()));
    return closed;
  };
}

/**
 * Without an 'error' listener an ECONNRESET would crash the process. The owner normally adds its
 * own; this one (shared, not a closure per connection) is added only when it did not.
 */
export function lastResortErrorHandler(stream: Duplex, onError: (err: Error) => void): void {
  if (stream.listenerCount('error') === 0) stream.on('error', onError);
}
