import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { type SseEndReason, SseStream } from '../../../src/http/live/sse-stream.js';

/** A real HTTP server whose one response is handed to the test; fetch reads it. */
async function oneResponse(t: TestContext): Promise<{ res: Promise<ServerResponse>; url: string }> {
  let give: (res: ServerResponse) => void = () => undefined;
  const res = new Promise<ServerResponse>((resolve) => {
    give = resolve;
  });
  const server = createServer((_req, response) => give(response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { res, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

test('WHATWG SSE: messages queued before open follow the first message; close sends what is queued and ends', async (t) => {
  const { res, url } = await oneResponse(t);
  const body = fetch(url);
  const ended: SseEndReason[] = [];
  const stream = new SseStream(await res, 4096, (reason) => ended.push(reason));
  assert.equal(stream.send('value', '{"v":1}'), true);
  stream.open('event: snapshot\ndata: {}\n\n');
  assert.equal(stream.comment('ping'), true);
  stream.close('shutdown');
  const response = await body;
  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(
    await response.text(),
    'event: snapshot\ndata: {}\n\nevent: value\ndata: {"v":1}\n\n: ping\n\n',
  );
  assert.deepEqual(ended, ['shutdown']);
  assert.equal(stream.send('value', '{}'), false, 'nothing is queued once ended');
});

test('a stream that passes its byte budget before it opened ends with 503 and reports overflow', async (t) => {
  const { res, url } = await oneResponse(t);
  const body = fetch(url);
  const ended: SseEndReason[] = [];
  const stream = new SseStream(await res, 1024, (reason) => ended.push(reason));
  assert.equal(stream.send('value', JSON.stringify('x'.repeat(600))), true);
  assert.equal(stream.send('value', JSON.stringify('y'.repeat(600))), false);
  const response = await body;
  assert.equal(response.status, 503);
  assert.deepEqual(await response.json(), { error: { message: 'The live stream ended before it started.' } });
  assert.deepEqual(ended, ['overflow']);
  assert.equal(stream.ended, true);
});
