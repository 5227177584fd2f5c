import { createServer } from 'node:net';
import { Aedes } from 'aedes';

/**
 * The aedes broker as a process of its own: `net.createServer(aedes.handle)` on a loopback port,
 * printed as JSON on stdout once listening. aedes has no "persistence off": its default is the
 * in-memory persistence, the closest equivalent.
 */
const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
const stop = (): void => {
  server.close();
  broker.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
