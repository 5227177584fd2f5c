import { BenchClient } from './bench-client.js';
import { nowMicros } from './clock.js';
import { Histogram } from './histogram.js';
import { PublishPhase } from './publisher.js';
import { Receiver } from './receiver.js';
import type { ConnectResult, WorkerCommand, WorkerReply } from './worker-protocol.js';

/**
 * A load-generator process (forked by worker-pool.ts): owns a share of the clients and executes
 * the orchestrator's commands over IPC. Index `origin` is stamped into every payload it publishes.
 */
const origin = Number(process.env.BENCH_WORKER_INDEX ?? 0);
const clients: BenchClient[] = [];
const send = (reply: WorkerReply): void => {
  process.send?.(reply);
};
const receiver = new Receiver(origin, (counts, other) => send({ op: 'delivered', counts, other }));
let phase: PublishPhase | undefined;

type Op<K extends WorkerCommand['op']> = Extract<WorkerCommand, { op: K }>;

async function connectAll(cmd: Op<'connect'>): Promise<ConnectResult> {
  const hist = new Histogram();
  const errors: string[] = [];
  let ok = 0;
  let failed = 0;
  let refused = 0;
  let firstMicros = 0;
  let lastMicros = 0;
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < cmd.clients.length) {
      const spec = cmd.clients[next++]!;
      const client = new BenchClient(receiver);
      clients.push(client);
      const start = nowMicros();
      try {
        const code = await client.connect({
          ...spec,
          host: cmd.host,
          port: cmd.port,
          keepalive: cmd.keepalive,
          timeoutMs: cmd.timeoutMs,
        });
        const end = nowMicros();
        if (code !== 0) {
          refused++;
          if (errors.length < 5) errors.push(`CONNACK ${code} for ${spec.clientId}`);
          continue;
        }
        ok++;
        hist.record(end - start);
        if (firstMicros === 0) firstMicros = end;
        lastMicros = end;
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push(`${spec.clientId}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cmd.concurrency, cmd.clients.length) }, one));
  return { ok, failed, refused, errors, hist: hist.toData(), firstMicros, lastMicros };
}

async function subscribeAll(cmd: Op<'subscribe'>): Promise<{ refused: number }> {
  let refused = 0;
  await Promise.all(
    cmd.subs.map(async (sub) => {
      const granted = await clients[sub.client]!.subscribe(sub.filters, cmd.qos);
      refused += granted.filter((code) => code >= 0x80).length;
    }),
  );
  return { refused };
}

async function pingSample(sample: number): Promise<unknown> {
  const hist = new Histogram();
  const live = clients.filter((c) => !c.closed);
  const step = Math.max(1, Math.floor(live.length / sample));
  const picked = live.filter((_, i) => i % step === 0).slice(0, sample);
  for (const rtt of await Promise.all(picked.map((c) => c.ping()))) hist.record(rtt);
  return { hist: hist.toData(), open: live.length };
}

async function execute(cmd: WorkerCommand): Promise<unknown> {
  switch (cmd.op) {
    case 'connect':
      return connectAll(cmd);
    case 'subscribe':
      return subscribeAll(cmd);
    case 'publish': {
      const current = new PublishPhase(cmd, clients, origin, receiver.acks, () => receiver.ownDelivered);
      phase = current;
      receiver.onOwnDelivery = () => current.wake();
      if (cmd.perPacketWrites === true) receiver.onOwnAck = () => current.wake();
      const result = await current.run();
      receiver.onOwnDelivery = undefined;
      receiver.onOwnAck = undefined;
      phase = undefined;
      return result;
    }
    case 'recv-reset':
      receiver.reset(cmd.format, cmd.credits);
      return {};
    case 'recv-stats':
      return receiver.stats(cmd.stop);
    case 'ping':
      return pingSample(cmd.sample);
    case 'close':
      await Promise.all(clients.map((c) => c.close()));
      clients.length = 0;
      return {};
    default:
      return {};
  }
}

process.on('message', (cmd: WorkerCommand) => {
  if (cmd.op === 'credit') {
    phase?.onCredit(cmd.delivered);
    return;
  }
  if (cmd.op === 'exit') {
    for (const client of clients) client.destroy();
    process.exit(0);
  }
  execute(cmd).then(
    (result) => send({ op: 'done', id: cmd.id, result }),
    (err: unknown) => send({ op: 'error', id: cmd.id, message: (err as Error).message ?? String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ op: 'ready' });
