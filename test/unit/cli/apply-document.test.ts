import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { orgPath, parseApplyDocument } from '../../../src/cli/apply-spec.js';
import { canonical, templatePatch } from '../../../src/cli/apply-template-diff.js';
import { UsageError } from '../../../src/cli/manage-args.js';
import type { Template } from '../../../src/platform/model.js';

const stored: Template = {
  id: 4,
  templateId: 'TMPL12345678',
  orgId: 1,
  name: 'Thermostat',
  description: '',
  boardType: 'ESP32',
  connectionType: 'WI_FI',
  gatewayEnabled: false,
  offlineDelaySec: 60,
  datastreams: [
    {
      id: 10,
      name: 'Temperature',
      pin: 0,
      type: 'Double',
      min: -40,
      max: 125,
      units: '°C',
      isSync: true,
      isRaw: false,
    },
    { id: 11, name: 'Power', pin: 1, type: 'Integer', isSync: false, isRaw: false },
  ],
  events: [{ id: 20, code: 'overheat', name: 'overheat', type: 'WARNING', description: '' }],
  metaFields: [
    { id: 30, name: 'Device Name', type: 'DeviceName', builtIn: true },
    { id: 31, name: 'Serial', type: 'Text', builtIn: false },
  ],
  createdAt: 0,
  lastModifiedTs: 0,
};

describe('devgate apply document', () => {
  test('parses nested organizations, templates and devices', () => {
    const doc = parseApplyDocument(
      {
        organizations: [{ name: 'Acme', tz: 'UTC', organizations: [{ name: 'Plant 1' }] }],
        templates: [{ name: 'T', org: 'Acme', datastreams: [] }],
        devices: [{ name: 'D', template: 'T', org: 'Acme/Plant 1' }],
      },
      'f.yaml',
    );
    assert.equal(doc.organizations[0]!.organizations[0]!.name, 'Plant 1');
    assert.deepEqual(doc.organizations[0]!.fields, { tz: 'UTC' });
    assert.deepEqual(doc.templates[0], { org: 'Acme', input: { name: 'T', datastreams: [] } });
    assert.deepEqual(parseApplyDocument(null, 'empty.yaml'), {
      organizations: [],
      templates: [],
      devices: [],
    });
    assert.deepEqual(orgPath(' Acme / Plant 1 '), ['Acme', 'Plant 1']);
    assert.deepEqual(orgPath('/'), []);
  });

  test('shape errors name the file and the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[], /f: expected an object/],
      [{ orgs: [] }, /f: unknown field "orgs"/],
      [{ organizations: {} }, /organizations: expected a list/],
      [{ organizations: [{ name: 'A/B' }] }, /organizations\[0\]\.name: must not contain "\/"/],
      [{ organizations: [{ name: 'A', colour: 'red' }] }, /organizations\[0\]: unknown field "colour"/],
      [{ templates: [{ datastreams: [] }] }, /templates\[0\]\.name: expected a non-empty string/],
      [{ templates: [{ name: 'T', datastreams: 'x' }] }, /templates\[0\]\.datastreams: expected a list/],
      [{ devices: [{ name: 'D', template: 'T', owner: 1 }] }, /devices\[0\]: unknown field "owner"/],
    ];
    for (const [value, message] of cases) {
      assert.throws(
        () => parseApplyDocument(value, 'f'),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
        String(message),
      );
    }
  });

  test('template patch: empty when the document matches; only what differs; lists keep ids', () => {
    assert.deepEqual(templatePatch(stored, { name: 'Thermostat' }), {});
    assert.deepEqual(
      templatePatch(stored, {
        name: 'Thermostat',
        boardType: 'ESP32',
        datastreams: [
          { name: 'Temperature', pin: 0, type: 'Double', max: 125, isSync: true, isRaw: false },
          { name: 'Power', pin: 1, type: 'Integer', isSync: false, isRaw: false },
        ],
        events: [{ code: 'overheat' }],
        metaFields: [{ name: 'Serial', type: 'Text' }],
      }),
      {},
      'fields the document leaves out keep their stored values',
    );
    const patch = templatePatch(stored, {
      name: 'Thermostat',
      gatewayEnabled: true,
      datastreams: [
        { name: 'Power', pin: 1, type: 'Integer', isSync: true, isRaw: false },
        { name: 'Humidity', pin: 2, type: 'Double', isSync: false, isRaw: false },
      ],
    });
    assert.deepEqual(Object.keys(patch).sort(), ['datastreams', 'gatewayEnabled']);
    assert.deepEqual(
      patch.datastreams?.map((d) => [d.id, d.name, d.isSync]),
      [
        [11, 'Power', true],
        [undefined, 'Humidity', false],
      ],
      'Temperature is dropped, Power keeps id 11, Humidity is new',
    );
    const renamed = templatePatch(stored, {
      name: 'Thermostat',
      metaFields: [{ id: 31, name: 'Serial No', type: 'Text' }],
    });
    assert.deepEqual(
      renamed.metaFields,
      [{ id: 31, name: 'Serial No', type: 'Text' }],
      'built-ins are never sent',
    );
    assert.equal(canonical({ b: 1, a: [2, { d: 1, c: 2 }] }), canonical({ a: [2, { c: 2, d: 1 }], b: 1 }));
  });
});
