/**
 * Entry point of a socket worker process (forked by SocketWorkerPool). Kept lean on purpose:
 * node built-ins and the frame protocol only, so a worker costs as little memory as a Node
 * process can.
 */
import { Socket } from 'node:net';
import { FRAME_PIPE_FD, type FromWorker, type ToWorker } from './control.js';
import { WorkerSockets } from './worker-sockets.js';

const pipe = new Socket({ fd: FRAME_PIPE_FD, readable: true, writable: true });
const send = (message: FromWorker): void => {
  if (process.connected) process.send?.(message);
};
const sockets = new WorkerSockets(pipe, send);

process.on('message', (message: ToWorker, handle: unknown) => sockets.control(message, handle));
// The broker is gone (or closed the pool): the sockets go with the process.
process.on('disconnect', () => process.exit(0));
pipe.on('close', () => process.exit(0));
pipe.on('error', () => process.exit(1));
send({ type: 'ready' });
