import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type RunningHaproxy, serverStatuses, startHaproxy } from './haproxy.js';

/**
 * HAProxy in front of a test cluster, in TCP mode with `send-proxy-v2` everywhere:
 * - the balancer: one frontend for MQTT and one for HTTP, `balance leastconn` over every node;
 * - per node, one MQTT and one HTTP frontend with only that node behind it, so a test can talk to
 *   one node while its listeners take the PROXY header only (and only from loopback).
 * One health check per node (`GET /readyz` on its HTTP listener, with a PROXY header of its own);
 * every other use of the node tracks it, so one status says whether HAProxy sends it traffic.
 */

/** The node's ports as HAProxy reaches them. */
export interface BalancedNode {
  readonly name: string;
  readonly mqttPort: number;
  readonly httpPort: number;
}

export interface BalancerPorts {
  readonly mqtt: number;
  readonly http: number;
  /** Per node, in the order of the nodes. */
  readonly nodes: readonly { readonly mqtt: number; readonly http: number }[];
}

/** How often HAProxy checks a node: short, so a killed or restarted node is seen at once. */
const CHECK = 'check check-send-proxy inter 100ms fall 1 rise 1';

/** HAProxy's name of the node's health-checked server (`backend/server`). */
export function checkedServer(node: BalancedNode): string {
  return `${node.name}_http/${node.name}`;
}

function server(node: BalancedNode, port: number, checked: boolean): string {
  const health = checked ? CHECK : `track ${checkedServer(node)}`;
  return `  server ${node.name} 127.0.0.1:${port} send-proxy-v2 ${health}`;
}

function pair(name: string, port: number, servers: readonly string[], balance: string): string {
  return `
frontend ${name}_front
  bind 127.0.0.1:${port}
  default_backend ${name}
backend ${name}
  balance ${balance}
${servers.join('\n')}
`;
}

function perNode(node: BalancedNode, ports: { mqtt: number; http: number }): string {
  const http = pair(`${node.name}_http`, ports.http, [server(node, node.httpPort, true)], 'first');
  const checks = '  option httpchk GET /readyz\n';
  return (
    http.replace(/(backend [^\n]+\n)/, `$1${checks}`) +
    pair(`${node.name}_mqtt`, ports.mqtt, [server(node, node.mqttPort, false)], 'first')
  );
}

/** The configuration (exported for tests of the harness itself). */
export function clusterHaproxyConfig(
  nodes: readonly BalancedNode[],
  ports: BalancerPorts,
  statsSocket: string,
): string {
  const sections = [
    pair(
      'cluster_mqtt',
      ports.mqtt,
      nodes.map((n) => server(n, n.mqttPort, false)),
      'leastconn',
    ),
    pair(
      'cluster_http',
      ports.http,
      nodes.map((n) => server(n, n.httpPort, false)),
      'leastconn',
    ),
    ...nodes.map((node, i) => perNode(node, ports.nodes[i]!)),
  ];
  return `global
  maxconn 4000
  stats socket ${statsSocket} mode 600 level admin
defaults
  mode tcp
  timeout connect 2s
  timeout client 120s
  timeout server 120s
${sections.join('')}`;
}

export interface ClusterBalancer {
  readonly haproxy: RunningHaproxy;
  readonly ports: BalancerPorts;
  /** Each node's status as HAProxy sees it (`UP`, `DOWN`), by node name. */
  statuses(): Promise<Map<string, string>>;
  /** Resolves once HAProxy sends traffic to the node named `name` (its health check passed). */
  untilUp(name: string, ms?: number): Promise<void>;
}

/** How many ports `startBalancer` takes for `nodes` nodes. */
export function balancerPortCount(nodes: number): number {
  return 2 + 2 * nodes;
}

/**
 * Starts HAProxy in front of `nodes` on `free` (balancerPortCount ports, picked together with the
 * nodes' own so none is handed out twice); killed after the test.
 */
export async function startBalancer(
  t: TestContext,
  binary: string,
  dir: string,
  nodes: readonly BalancedNode[],
  free: readonly number[],
): Promise<ClusterBalancer> {
  const ports: BalancerPorts = {
    mqtt: free[0]!,
    http: free[1]!,
    nodes: nodes.map((_, i) => ({ mqtt: free[2 + 2 * i]!, http: free[3 + 2 * i]! })),
  };
  const statsSocket = `${dir}/haproxy.sock`;
  const config = clusterHaproxyConfig(nodes, ports, statsSocket);
  const haproxy = await startHaproxy(t, binary, dir, config, free);
  const statuses = async (): Promise<Map<string, string>> => {
    const all = await serverStatuses(statsSocket);
    return new Map(nodes.map((node) => [node.name, all.get(checkedServer(node)) ?? 'unknown']));
  };
  const untilUp = async (name: string, ms = 20_000): Promise<void> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const status = (await statuses()).get(name);
      if (status === 'UP') return;
      if (Date.now() > deadline) throw new Error(`haproxy still sees ${name} ${status} after ${ms} ms`);
      await delay(50); // polling: HAProxy's runtime API has no change notification
    }
  };
  return { haproxy, ports, statuses, untilUp };
}
