/**
 * Entry point of a socket worker process (forked by SocketWorkerPool through node:cluster, so
 * that its listeners share the broker's ports). Kept lean on purpose: node built-ins and the
 * frame protocol only, so a worker costs as little memory as a Node process can.
 */
import { Socket } from 'node:net';
import { openFilesLimit } from '../open-files-limit.js';
import { FRAME_PIPE_FD, type FromWorker, type ToWorker } from './control.js';
import { WorkerListeners } from './worker-listeners.js';
import { WorkerSockets } from './worker-sockets.js';

const pipe = new Socket({ fd: FRAME_PIPE_FD, readable: true, writable: true });
const send = (message: FromWorker): void => {
  if (process.connected) process.send?.(message);
};
const sockets = new WorkerSockets(pipe);
const listeners = new WorkerListeners((socket, spec) => sockets.open(socket, spec), send, openFilesLimit());

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'listen':
      listeners.listen(message.spec);
      return;
    case 'stop':
      listeners.stop(message.listenerId, false);
      return;
    case 'close':
      listeners.stop(message.listenerId, true);
      sockets.destroyListener(message.listenerId);
      send({ type: 'closed', listenerId: message.listenerId });
      return;
    case 'tls':
      listeners.setTls(message.tls);
      send({ type: 'tlsSet', generation: message.generation });
      return;
    case 'exit':
      process.exit(0);
  }
});
// Ctrl+C reaches the whole process group, and a service manager may signal every process of
// the service: the broker decides when its workers end (after its clients got DISCONNECT).
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
// A reload HUP sent to the process group must not end them either: the broker sends the new
// certificate down the control channel.
process.on('SIGHUP', () => undefined);
// The broker is gone (or closed the pool): the sockets go with the process.
process.on('disconnect', () => process.exit(0));
pipe.on('close', () => process.exit(0));
pipe.on('error', () => process.exit(1));
send({ type: 'ready' });
