import { request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { type IClientOptions, MqttClient } from 'mqtt';
import type { IConnackPacket } from 'mqtt-packet';
import { uniqueId } from './mqtt-client.js';
import { WAIT_MS, within } from './wait.js';

/** What a CONNECT from a chosen source address got: the CONNACK code (0 accepted) and how long it took. */
export interface ConnectOutcome {
  readonly code: number;
  readonly ms: number;
}

/** The code of the CONNACK `client` gets (0 accepted); rejects when it closes first or none comes. */
export async function connackCode(client: MqttClient): Promise<number> {
  const connack = await within(
    new Promise<IConnackPacket>((resolve, reject) => {
      client.on('packetreceive', (packet) => {
        if (packet.cmd === 'connack') resolve(packet as IConnackPacket);
      });
      client.once('close', () => reject(new Error('closed before CONNACK')));
    }),
    WAIT_MS + 500,
    'CONNACK',
  );
  return connack.reasonCode ?? connack.returnCode ?? 0;
}

/**
 * One MQTT CONNECT from `localAddress` (e.g. 127.0.0.2: loopback is a /8, so each address is a
 * different source to the server), over a real socket; the client is ended once answered.
 */
export async function connectFrom(
  port: number,
  localAddress: string,
  options: IClientOptions,
): Promise<ConnectOutcome> {
  const started = performance.now();
  const client = new MqttClient(() => tcpConnect({ host: '127.0.0.1', port, localAddress }), {
    reconnectPeriod: 0,
    connectTimeout: WAIT_MS,
    clientId: uniqueId('from'),
    ...options,
  });
  client.on('error', () => undefined);
  try {
    return { code: await connackCode(client), ms: performance.now() - started };
  } finally {
    await within(client.endAsync(true), WAIT_MS, 'client end').catch(() => undefined);
  }
}

export interface HttpOutcome {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request from `localAddress` to `url` (its own connection, closed afterwards). */
export function httpFrom(
  url: string,
  localAddress: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpOutcome> {
  return within(
    new Promise<HttpOutcome>((resolve, reject) => {
      const req = request(url, {
        method: init.method ?? 'GET',
        headers: init.headers,
        localAddress,
        agent: false,
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      });
      req.end(init.body);
    }),
    WAIT_MS,
    'HTTP answer',
  );
}
