import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type Cli, cliStarted, spawnCli } from './spawn-cli.js';
import { within } from './wait.js';

/**
 * One `devgate start` (or `devgate broker`) process of a test cluster: fixed ports (chosen free before the first start,
 * so a restart comes back on the same ones), its own data directory and node id, and its output
 * kept across restarts.
 */

/** How long a node gets to start on a busy machine (migrations run on the first start). */
export const NODE_START_MS = 30_000;

export interface NodeSetup {
  readonly index: number;
  readonly name: string;
  readonly command: 'start' | 'broker';
  readonly dataDir: string;
  /** The node's own listeners (with the PROXY protocol they take HAProxy's connections only). */
  readonly ports: { readonly mqtt: number; readonly http: number };
  readonly args: readonly string[];
  readonly env: Record<string, string>;
}

export class ClusterNode {
  private cli: Cli | undefined;
  private readonly earlier: string[] = [];
  /** Set by the cluster once HAProxy runs: resolves when HAProxy sends this node traffic. */
  balancerUp: (() => Promise<void>) | undefined;

  constructor(
    private readonly t: TestContext,
    readonly setup: NodeSetup,
    /** Where a client reaches this node (HAProxy's frontend for it, or the node itself). */
    readonly mqttPort: number,
    readonly httpPort: number,
  ) {}

  get name(): string {
    return this.setup.name;
  }
  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }
  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }
  get running(): boolean {
    return this.cli !== undefined && this.cli.child.exitCode === null && this.cli.child.signalCode === null;
  }

  /** Everything the node printed (JSON log lines), over all its runs. */
  logs(): string {
    const current = this.cli === undefined ? '' : `${this.cli.output.stdout}${this.cli.output.stderr}`;
    return [...this.earlier, current].join('');
  }

  /** Starts the process and waits for its start-up summary (listeners open). */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is running`);
    if (this.cli !== undefined) this.earlier.push(`${this.cli.output.stdout}${this.cli.output.stderr}`);
    this.cli = spawnCli(this.t, [this.setup.command, ...this.setup.args], {
      env: this.setup.env,
      timeoutMs: NODE_START_MS,
    });
    await cliStarted(this.cli, `${this.name} to start`);
  }

  /** Polls `/readyz` until it answers 200 (through HAProxy's frontend for the node, when there is one). */
  async ready(ms = NODE_START_MS): Promise<void> {
    const deadline = Date.now() + ms;
    let last = 'no answer';
    for (;;) {
      try {
        const response = await fetch(`${this.httpUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
        last = `${response.status} ${await response.text()}`;
        if (response.status === 200) break;
      } catch (err) {
        last = String(err);
      }
      if (!this.running) throw new Error(`${this.name} exited: ${this.logs().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${ms} ms: ${last}`);
      await delay(50); // polling: readiness is only observable through /readyz
    }
    await this.balancerUp?.();
  }

  /** SIGKILL, as a crash: no session state is saved, no DISCONNECT is sent. */
  kill9(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM, a graceful stop; resolves with the exit code. */
  async stop(): Promise<number | null> {
    await this.signal('SIGTERM');
    return this.cli?.child.exitCode ?? null;
  }

  /** Starts again with the same node id, data directory and ports, and waits until ready. */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.start();
    await this.ready();
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const cli = this.cli;
    if (cli === undefined || !this.running) return;
    cli.child.kill(signal);
    await within(cli.exited, NODE_START_MS, `${this.name} to exit on ${signal}`);
  }
}
