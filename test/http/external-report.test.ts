import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { type DeviceHttpWorld, seedDeviceHttpWorld } from '../helpers/device-http.js';
import { type ApiWorld, errorMessage, openApiWorld } from '../helpers/http-api.js';

/** `GET /external/api/data/get` (spec §6.2 row 9) through app.inject with a fake clock. */
interface World extends DeviceHttpWorld {
  readonly api: ApiWorld;
  report(query: string): Promise<LightMyRequestResponse>;
}

const HOUR = 3_600_000;
/** 2023-11-14T00:00:00Z: a round UTC day, so hourly and daily buckets are easy to name. */
const MIDNIGHT = 1_699_920_000_000;

async function openWorld(t: TestContext): Promise<World> {
  const api = await openApiWorld(t);
  const seeded = await seedDeviceHttpWorld(api.platform, api.orgs.a.id);
  const report = (query: string) =>
    api.call({ method: 'GET', url: `/external/api/data/get?token=${seeded.token}${query}` });
  return { ...seeded, api, report };
}

/**
 * Temperature points: 10 and 20 in the 01:00 hour, 30 in the 02:00 hour of MIDNIGHT's day (UTC);
 * the fake clock stands at 22:13 that day.
 */
async function seedHistory(w: World): Promise<void> {
  const points = [
    [MIDNIGHT + HOUR + 60_000, 10],
    [MIDNIGHT + HOUR + 120_000, 20],
    [MIDNIGHT + 2 * HOUR + 60_000, 30],
  ] as const;
  await w.api.platform.devices.writeValues(
    w.device.id,
    points.map(([ts, value]) => ({ dataStreamId: w.ds.Temperature, value, ts })),
  );
  await w.api.platform.devices.writeValues(w.device.id, [
    { dataStreamId: w.ds.Label, value: 'hello', ts: MIDNIGHT + HOUR + 90_000 },
  ]);
}

interface Report {
  meta: Array<{ name: string; type: string }>;
  data: Array<{
    ts: number | string;
    pin: string;
    dataStreamId: number;
    dataStreamName: string;
    value: unknown;
  }>;
  rows: number;
  rows_before_limit_at_least: number;
}

test('spec §6.2 row 9 data/get output=JSON RAW_DATA: every stored point, oldest first', async (t) => {
  const w = await openWorld(t);
  await seedHistory(w);
  const response = await w.report('&output=JSON&period=DAY');
  assert.equal(response.statusCode, 200, response.body);
  const body = response.json() as Report;
  assert.deepEqual(
    body.meta.map((m) => m.name),
    ['ts', 'pin', 'dataStreamId', 'dataStreamName', 'value'],
  );
  assert.deepEqual(
    body.data.map((r) => [r.ts, r.pin, r.value]),
    [
      [MIDNIGHT + HOUR + 60_000, 'v1', 10],
      [MIDNIGHT + HOUR + 90_000, 'v2', 'hello'],
      [MIDNIGHT + HOUR + 120_000, 'v1', 20],
      [MIDNIGHT + 2 * HOUR + 60_000, 'v1', 30],
    ],
  );
  assert.equal(body.rows, 4);
  assert.equal(body.rows_before_limit_at_least, 4);
  const onePin = (await w.report('&output=JSON&period=DAY&pin=V1')).json() as Report;
  assert.equal(onePin.rows, 3);
  const byId = (await w.report(`&output=JSON&period=DAY&dataStreamId=${w.ds.Label}`)).json() as Report;
  assert.deepEqual(
    byId.data.map((r) => r.value),
    ['hello'],
  );
});

test('spec §6.2 row 9 data/get aggregates: HOURLY with AVG, MIN, MAX, SUM, COUNT', async (t) => {
  const w = await openWorld(t);
  await seedHistory(w);
  const expected: Record<string, [number, number]> = {
    AVG: [15, 30],
    MIN: [10, 30],
    MAX: [20, 30],
    SUM: [30, 30],
    COUNT: [2, 1],
  };
  for (const [source, values] of Object.entries(expected)) {
    const query = `&output=JSON&period=DAY&granularityType=HOURLY&sourceType=${source}&pin=v1`;
    const body = (await w.report(query)).json() as Report;
    assert.deepEqual(
      body.data.map((r) => [r.ts, r.value]),
      [
        [MIDNIGHT + HOUR, values[0]],
        [MIDNIGHT + 2 * HOUR, values[1]],
      ],
      source,
    );
  }
  const daily = (await w.report('&output=JSON&period=WEEK&granularityType=DAILY&pin=v1')).json() as Report;
  assert.deepEqual(
    daily.data.map((r) => [r.ts, r.value]),
    [[MIDNIGHT, 20]],
  );
  const minutes = (await w.report('&output=JSON&period=DAY&granularityType=MINUTE&pin=v1')).json() as Report;
  assert.deepEqual(
    minutes.data.map((r) => [r.ts, r.value]),
    [
      [MIDNIGHT + HOUR + 60_000, 10],
      [MIDNIGHT + HOUR + 120_000, 20],
      [MIDNIGHT + 2 * HOUR + 60_000, 30],
    ],
  );
  const lastHour = await w.report('&output=JSON&period=HOUR&pin=v1');
  assert.equal(errorMessage(lastHour), 'No data', 'nothing in the last hour');
  const strings = (
    await w.report('&output=JSON&period=DAY&granularityType=HOURLY&sourceType=COUNT&pin=v2')
  ).json() as Report;
  assert.deepEqual(
    strings.data.map((r) => r.value),
    [1],
    'COUNT counts any type',
  );
});

test('spec §6.2 row 9 data/get tzName and format: local buckets and local time texts', async (t) => {
  const w = await openWorld(t);
  await seedHistory(w);
  // Asia/Kolkata is UTC+05:30 all year: its hours start at :30 UTC.
  const body = (
    await w.report(
      '&output=JSON&period=DAY&granularityType=HOURLY&pin=v1&tzName=Asia/Kolkata&format=ISO_SIMPLE',
    )
  ).json() as Report;
  assert.deepEqual(
    body.data.map((r) => [r.ts, r.value]),
    [
      ['2023-11-14 06:00:00', 15],
      ['2023-11-14 07:00:00', 30],
    ],
  );
  const us = (
    await w.report('&output=JSON&period=DAY&pin=v1&format=ISO_US&tzName=America/New_York')
  ).json() as Report;
  assert.deepEqual(us.data[0]?.ts, '11/13/23 08:01:00 PM');
  assert.equal(us.meta[0]?.type, 'String');
});

test('spec §6.2 row 9 data/get output=FILE: a link to a CSV of the same rows', async (t) => {
  const w = await openWorld(t);
  await seedHistory(w);
  const response = await w.report('&period=DAY&pin=v1');
  assert.equal(response.statusCode, 200);
  const { link } = response.json() as { link: string };
  const url = new URL(link);
  assert.match(url.pathname, /^\/external\/api\/data\/file\/device_data_\d+_[\dT-]+\.csv$/);
  assert.ok(!link.includes(w.token), 'the link does not carry the device token');
  const file = await w.api.call({ method: 'GET', url: url.pathname + url.search });
  assert.equal(file.statusCode, 200);
  assert.match(String(file.headers['content-type']), /^text\/csv/);
  assert.deepEqual(file.body.trim().split('\r\n'), [
    'ts,pin,dataStreamId,dataStreamName,value',
    `${MIDNIGHT + HOUR + 60_000},v1,${w.ds.Temperature},Temperature,10`,
    `${MIDNIGHT + HOUR + 120_000},v1,${w.ds.Temperature},Temperature,20`,
    `${MIDNIGHT + 2 * HOUR + 60_000},v1,${w.ds.Temperature},Temperature,30`,
  ]);
  const forged = await w.api.call({
    method: 'GET',
    url: `${url.pathname}?key=${url.searchParams.get('key')}x`,
  });
  assert.equal(forged.statusCode, 404);
  w.api.clock.advance(2 * HOUR);
  const expired = await w.api.call({ method: 'GET', url: url.pathname + url.search });
  assert.equal(expired.statusCode, 404);
});

test('spec §6.2 row 9 data/get errors: incorrect parameters, wrong pin, No data', async (t) => {
  const w = await openWorld(t);
  const incorrect = [
    '&period=YEAR',
    '&period=day',
    '&granularityType=WEEKLY',
    '&period=THREE_MONTHS',
    '&sourceType=MEDIAN',
    '&tzName=Mars/Olympus',
    '&format=RFC',
    '&output=XML',
    '&sendEvents=yes',
  ];
  for (const query of incorrect) {
    const response = await w.report(query);
    assert.equal(response.statusCode, 400, query);
    assert.equal(errorMessage(response), 'Request with incorrect parameters', query);
  }
  const wrongPin = await w.report('&pin=x1');
  assert.equal(errorMessage(wrongPin), 'Wrong pin format.');
  const none = await w.report('&output=JSON');
  assert.equal(none.statusCode, 500);
  assert.equal(errorMessage(none), 'No data');
  assert.equal((await w.report('&period=THREE_MONTHS&granularityType=DAILY')).statusCode, 500);
});
