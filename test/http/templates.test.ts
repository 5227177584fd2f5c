import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { errorMessage, openApiWorld } from '../helpers/http-api.js';

function visible(response: LightMyRequestResponse) {
  return { status: response.statusCode, type: response.headers['content-type'], body: response.body };
}

const thermostat = {
  name: 'Boiler',
  boardType: 'ESP32',
  datastreams: [
    { name: 'Power', pin: 0, type: 'Integer', min: 0, max: 100, isSync: true },
    {
      name: 'Mode',
      pin: 4,
      type: 'Enum',
      enumValues: [
        { value: 0, label: 'off' },
        { value: 1, label: 'on' },
      ],
    },
  ],
  events: [{ code: 'overheat', name: 'Overheat', type: 'WARNING' }],
  metaFields: [{ name: 'Room', type: 'Text', defaultValue: 'hall' }],
};

test('spec §6.4 template create (201), get by id and TMPL id, sub-resources, update, delete', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const created = await world.call({
    method: 'POST',
    url: '/api/v1/organization/template/create',
    as: admin,
    payload: thermostat,
  });
  assert.equal(created.statusCode, 201, created.body);
  const template = created.json();
  assert.match(template.templateId, /^TMPL/);
  assert.equal(template.datastreams.length, 2);
  assert.equal(template.datastreams[1].isSync, false);
  assert.equal(template.metaFields.filter((f: { builtIn: boolean }) => f.builtIn).length, 5);

  for (const ref of [template.id, template.templateId]) {
    const read = await world.call({ url: `/api/v1/organization/template?templateId=${ref}`, as: admin });
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), template);
  }
  const sub = async (what: string) =>
    (
      await world.call({
        url: `/api/v1/organization/template/${what}?templateId=${template.templateId}`,
        as: admin,
      })
    ).json();
  assert.deepEqual(await sub('datastreams'), template.datastreams);
  assert.deepEqual(await sub('events'), template.events);
  assert.deepEqual(await sub('metafields'), template.metaFields);

  const power = template.datastreams[0];
  const updated = await world.call({
    method: 'PUT',
    url: `/api/v1/organization/template?templateId=${template.id}`,
    as: admin,
    payload: { name: 'Boiler 2', datastreams: [{ ...power, max: 50 }], metaFields: template.metaFields },
  });
  assert.equal(updated.statusCode, 200, updated.body);
  assert.equal(updated.json().name, 'Boiler 2');
  assert.deepEqual(updated.json().datastreams, [{ ...power, max: 50 }]);
  assert.deepEqual(updated.json().metaFields, template.metaFields);
  assert.deepEqual(
    (await world.call({ url: `/api/v1/organization/template?templateId=${template.id}`, as: admin })).json(),
    updated.json(),
  );

  const deleted = await world.call({
    method: 'DELETE',
    url: `/api/v1/organization/template?templateId=${template.templateId}`,
    as: admin,
  });
  assert.equal(deleted.statusCode, 204);
  const gone = await world.call({
    url: `/api/v1/organization/template?templateId=${template.id}`,
    as: admin,
  });
  assert.equal(gone.statusCode, 404);
  assert.equal(errorMessage(gone), `Template with identifier ${template.id} is not found.`);
});

test('spec §6.4 template list pages through the visible templates', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const all = await world.call({ url: '/api/v1/organization/templates', as: admin });
  assert.equal(all.statusCode, 200);
  assert.equal(all.json().totalElements, 2);
  const page = await world.call({ url: '/api/v1/organization/templates?page=1&size=1', as: admin });
  assert.equal(page.json().content.length, 1);
  assert.equal(page.json().totalElements, 2);
});

test('spec §5.2/§5.3 bad template input is 4xx with a clear message and changes nothing', async (t) => {
  const world = await openApiWorld(t);
  const admin = await world.client(world.orgs.root);
  const listBefore = (await world.call({ url: '/api/v1/organization/templates', as: admin })).body;
  const ds = (extra: object) => ({
    name: 'Bad',
    datastreams: [{ name: 'Level', pin: 1, type: 'Integer', ...extra }],
  });
  const cases: Array<[unknown, number, RegExp]> = [
    [{ name: 'x'.repeat(101) }, 400, /'name' must NOT have more than 100 characters/],
    [ds({ type: 'String', min: 0 }), 400, /cannot have min or max/],
    [ds({ type: 'Enum' }), 400, /needs at least one Enum value/],
    [ds({ pin: 999 }), 400, /'datastreams\[0\]\.pin' must be <= 255/],
    [ds({ defaultValue: 'warm' }), 400, /Datastream "Level"/],
    [
      {
        name: 'Dup',
        datastreams: [
          { name: 'A', pin: 1, type: 'Integer' },
          { name: 'A', pin: 2, type: 'Integer' },
        ],
      },
      400,
      /Datastream name "A" is used twice/,
    ],
    [{ name: 'Dup', events: [{ code: 'e1' }, { code: 'e1' }] }, 400, /Event code "e1" is used twice/],
    [{ name: 'Taken', templateId: world.rootTemplate.templateId }, 409, /already in use/],
    [{ name: 'Extra', colour: 'blue' }, 400, /Unknown body field 'colour'/],
  ];
  for (const [payload, status, message] of cases) {
    const response = await world.call({
      method: 'POST',
      url: '/api/v1/organization/template/create',
      as: admin,
      payload: payload as object,
    });
    assert.equal(response.statusCode, status, `${JSON.stringify(payload)}: ${response.body}`);
    assert.match(errorMessage(response), message);
  }
  const url = `/api/v1/organization/template?templateId=${world.rootTemplate.id}`;
  const before = (await world.call({ url, as: admin })).body;
  const badUpdate = await world.call({
    method: 'PUT',
    url,
    as: admin,
    payload: {
      datastreams: [
        { name: 'Twin', pin: 1, type: 'Double' },
        { name: 'Twin2', pin: 1, type: 'Double' },
      ],
    },
  });
  assert.equal(badUpdate.statusCode, 400);
  assert.match(errorMessage(badUpdate), /Pin 1 is used by two datastreams/);
  assert.equal((await world.call({ url, as: admin })).body, before);
  const unknown = await world.call({
    method: 'PUT',
    url: '/api/v1/organization/template?templateId=TMPLmissing1',
    as: admin,
    payload: { name: 'X' },
  });
  assert.equal(unknown.statusCode, 404);
  const inUse = await world.call({ method: 'DELETE', url, as: admin });
  assert.equal(inUse.statusCode, 409);
  assert.equal((await world.call({ url: '/api/v1/organization/templates', as: admin })).body, listBefore);
});

test("spec §5.2 scope: a sub-org sees inherited templates read-only and never a sibling's", async (t) => {
  const world = await openApiWorld(t);
  const client = await world.client(world.orgs.a);
  const list = await world.call({ url: '/api/v1/organization/templates', as: client });
  assert.deepEqual(
    list.json().content.map((x: { id: number }) => x.id),
    [world.rootTemplate.id],
  );
  const inherited = `/api/v1/organization/template?templateId=${world.rootTemplate.id}`;
  assert.equal((await world.call({ url: inherited, as: client })).statusCode, 200);
  const change = await world.call({
    method: 'PUT',
    url: inherited,
    as: client,
    payload: { name: 'Hijacked' },
  });
  assert.equal(change.statusCode, 403);
  assert.equal((await world.call({ method: 'DELETE', url: inherited, as: client })).statusCode, 403);
  const sibling = world.bTemplate;
  for (const what of ['', '/datastreams', '/events', '/metafields']) {
    const response = await world.call({
      url: `/api/v1/organization/template${what}?templateId=${sibling.templateId}`,
      as: client,
    });
    assert.equal(response.statusCode, 404, what);
  }
  const siblingUrl = `/api/v1/organization/template?templateId=${sibling.id}`;
  assert.equal(
    (await world.call({ method: 'PUT', url: siblingUrl, as: client, payload: { name: 'Mine' } })).statusCode,
    404,
  );
  assert.equal((await world.call({ method: 'DELETE', url: siblingUrl, as: client })).statusCode, 404);
  const admin = await world.client(world.orgs.root);
  assert.equal((await world.call({ url: inherited, as: admin })).json().name, 'Thermostat');
  assert.equal((await world.call({ url: siblingUrl, as: admin })).json().name, 'B Gadget');
});

test('spec §6.4 a sibling template answers exactly like a missing one', async (t) => {
  const world = await openApiWorld(t);
  const client = await world.client(world.orgs.a);
  const bClient = await world.client(world.orgs.b);
  const spare = await world.call({
    method: 'POST',
    url: '/api/v1/organization/template/create',
    as: bClient,
    payload: { name: 'Spare' },
  });
  const id = spare.json().id;
  const url = `/api/v1/organization/template?templateId=${id}`;
  const foreign = visible(await world.call({ url, as: client }));
  assert.equal((await world.call({ method: 'DELETE', url, as: bClient })).statusCode, 204);
  const missing = visible(await world.call({ url, as: client }));
  assert.equal(foreign.status, 404);
  assert.deepEqual(foreign, missing);
});
