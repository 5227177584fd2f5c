import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TemplateInput } from '../../../../src/platform/services.js';
import { integerStream, templateWorld } from './template-harness.js';

type Row = readonly [input: Record<string, unknown>, message: string];

const ds = (extra: Record<string, unknown>) => ({ name: 'P', pin: 1, type: 'Integer', ...extra });
const one = (extra: Record<string, unknown>) => ({ datastreams: [ds(extra)] });
const enumOf = (extra: Record<string, unknown>) =>
  one({
    type: 'Enum',
    enumValues: [
      { value: 1, label: 'One' },
      { value: 2, label: 'Two' },
    ],
    ...extra,
  });
const unsafe = (name: string, shown = name) =>
  [
    { datastreams: [ds({ name })] },
    `Datastream name "${shown}" must not contain / + # , or control characters.`,
  ] as const;
const int32 = 'must be an integer from -2147483648 to 2147483647.';

const templateRows: readonly Row[] = [
  [{ name: undefined }, 'Template name must be a string.'],
  [{ name: '' }, 'Template name must be 1-100 characters.'],
  [{ name: 'x'.repeat(101) }, 'Template name must be 1-100 characters.'],
  [{ name: '   ' }, 'Template name must not be blank.'],
  [{ description: 'x'.repeat(1001) }, 'Template description must be at most 1000 characters.'],
  [{ boardType: 5 }, 'Template boardType must be a string.'],
  [{ connectionType: 'x'.repeat(51) }, 'Template connectionType must be at most 50 characters.'],
  [{ gatewayEnabled: 'yes' }, 'Template gatewayEnabled must be true or false.'],
  [{ offlineDelaySec: -1 }, 'Template offlineDelaySec must be an integer from 0 to 86400.'],
  [{ offlineDelaySec: 86401 }, 'Template offlineDelaySec must be an integer from 0 to 86400.'],
  [{ offlineDelaySec: 1.5 }, 'Template offlineDelaySec must be an integer from 0 to 86400.'],
  [{ templateId: 'TMPL1234567' }, 'Template ID must be TMPL followed by 8-10 letters or digits.'],
  [{ templateId: 'TMPL12345678901' }, 'Template ID must be TMPL followed by 8-10 letters or digits.'],
  [{ templateId: 'tmpl12345678' }, 'Template ID must be TMPL followed by 8-10 letters or digits.'],
  [{ templateId: 'TMPL1234-678' }, 'Template ID must be TMPL followed by 8-10 letters or digits.'],
  [{ templateId: 12345678 }, 'Template ID must be TMPL followed by 8-10 letters or digits.'],
  [{ orgId: 'root' }, `orgId must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}.`],
];

const datastreamRows: readonly Row[] = [
  [{ datastreams: 'P' }, 'datastreams must be a list.'],
  [{ datastreams: [7] }, 'Datastream #1 must be an object.'],
  [one({ name: undefined }), 'Datastream name must be a string.'],
  [one({ name: '' }), 'Datastream name must be 1-50 characters.'],
  [one({ name: 'x'.repeat(51) }), 'Datastream name must be 1-50 characters.'],
  unsafe('a/b'),
  unsafe('a+b'),
  unsafe('a#b'),
  unsafe('a,b'),
  unsafe('a\u0000b', 'a\\0b'),
  unsafe('a\nb', 'a?b'),
  [one({ name: ' Temp' }), 'Datastream name " Temp" must not start or end with a space.'],
  [one({ name: 'Temp ' }), 'Datastream name "Temp " must not start or end with a space.'],
  [one({ pin: -1 }), 'Datastream "P" pin must be an integer from 0 to 255.'],
  [one({ pin: 256 }), 'Datastream "P" pin must be an integer from 0 to 255.'],
  [one({ pin: '1' }), 'Datastream "P" pin must be an integer from 0 to 255.'],
  [one({ pin: undefined }), 'Datastream "P" pin must be an integer from 0 to 255.'],
  [
    one({ type: 'Float' }),
    'Datastream "P" type must be one of Integer, Double, String, Enum, Location, Boolean.',
  ],
  [{ datastreams: [ds({}), ds({ pin: 2 })] }, 'Datastream name "P" is used twice.'],
  [{ datastreams: [ds({}), ds({ name: 'Q' })] }, 'Pin 1 is used by two datastreams.'],
  [one({ alias: 'a-b' }), 'Datastream "P" alias must be 1-50 letters, digits or spaces.'],
  [one({ alias: '' }), 'Datastream "P" alias must be 1-50 letters, digits or spaces.'],
  [
    { datastreams: [ds({ alias: 'X' }), ds({ name: 'Q', pin: 2, alias: 'X' })] },
    'Datastream alias "X" is used twice.',
  ],
  [one({ min: 5, max: 4 }), 'Datastream "P" min must not be greater than max.'],
  [one({ min: 1.5 }), `Datastream "P" min ${int32}`],
  [one({ max: 2 ** 31 }), `Datastream "P" max ${int32}`],
  [one({ type: 'Double', min: '1' }), 'Datastream "P" min must be a finite number.'],
  [one({ type: 'Double', max: Number.POSITIVE_INFINITY }), 'Datastream "P" max must be a finite number.'],
  [one({ type: 'Double', min: 2.5, max: 2.25 }), 'Datastream "P" min must not be greater than max.'],
  [one({ type: 'Location', min: 0 }), 'Datastream "P" of type Location cannot have min or max.'],
  [one({ type: 'String', max: 10 }), 'Datastream "P" of type String cannot have min or max.'],
  [one({ type: 'Boolean', max: 1 }), 'Datastream "P" of type Boolean cannot have min or max.'],
  [
    one({ defaultValue: 'abc' }),
    'Datastream "P" default value is invalid: Value "abc" does not match type Integer for datastream "P".',
  ],
  [
    one({ defaultValue: 1.5 }),
    'Datastream "P" default value is invalid: Value 1.5 does not match type Integer for datastream "P".',
  ],
  [one({ min: 0, max: 10, defaultValue: 11 }), 'Datastream "P" default value must be within min and max.'],
  [
    one({ type: 'Location', defaultValue: [200, 0] }),
    'Datastream "P" default value is invalid: Location 200,0 is out of range (lon ±180, lat ±90) for datastream "P".',
  ],
  [
    one({ type: 'String', defaultValue: 'x'.repeat(1025) }),
    'Datastream "P" default value is invalid: Value for datastream "P" is longer than 1024 bytes.',
  ],
  [one({ type: 'Enum' }), 'Datastream "P" of type Enum needs at least one Enum value.'],
  [one({ type: 'Enum', enumValues: [] }), 'Datastream "P" of type Enum needs at least one Enum value.'],
  [
    one({
      type: 'Enum',
      enumValues: [
        { value: 1, label: 'a' },
        { value: 1, label: 'b' },
      ],
    }),
    'Datastream "P" has Enum value 1 twice.',
  ],
  [one({ type: 'Enum', enumValues: [{ value: 1.5, label: 'a' }] }), `Datastream "P" Enum value ${int32}`],
  [
    one({ type: 'Enum', enumValues: [{ value: 1, label: '' }] }),
    'Datastream "P" Enum label must be 1-100 characters.',
  ],
  [one({ type: 'Enum', enumValues: ['a'] }), 'Datastream "P" Enum value must be an object.'],
  [enumOf({ enumFallback: 3 }), 'Datastream "P" Enum fallback must be one of its Enum values.'],
  [enumOf({ defaultValue: 3 }), 'Datastream "P" default value must be one of its Enum values.'],
  [enumOf({ min: 0 }), 'Datastream "P" of type Enum cannot have min or max.'],
  [
    one({ enumValues: [{ value: 1, label: 'a' }] }),
    'Datastream "P" of type Integer cannot have Enum values.',
  ],
  [one({ enumFallback: 1 }), 'Datastream "P" of type Integer cannot have Enum values.'],
  [one({ units: 'x'.repeat(51) }), 'Datastream "P" units must be at most 50 characters.'],
  [one({ decimals: 11 }), 'Datastream "P" decimals must be an integer from 0 to 10.'],
  [one({ isSync: 'yes' }), 'Datastream "P" isSync must be true or false.'],
  [one({ isRaw: 1 }), 'Datastream "P" isRaw must be true or false.'],
  [
    { datastreams: [1, 2, 3, 4].map((pin) => ds({ name: `D${pin}`, pin })) },
    'A template may have at most 3 datastreams.',
  ],
];

const eventRows: readonly Row[] = [
  [{ events: {} }, 'events must be a list.'],
  [{ events: [null] }, 'Event #1 must be an object.'],
  ...['a-b', '', '   ', 'x'.repeat(51), undefined, 5].map(
    (code): Row => [
      { events: [{ code }] },
      'Event code must be 1-50 letters, digits, spaces or underscores.',
    ],
  ),
  [{ events: [{ code: 'x' }, { code: 'x' }] }, 'Event code "x" is used twice.'],
  [
    { events: [{ code: 'x', type: 'INFO' }] },
    'Event "x" type must be one of INFORMATION, WARNING, CRITICAL, CONTENT.',
  ],
  [
    { events: [{ code: 'x', description: 'd'.repeat(251) }] },
    'Event "x" description must be at most 250 characters.',
  ],
  [{ events: [{ code: 'x', name: '' }] }, 'Event "x" name must be 1-100 characters.'],
  [
    { events: Array.from({ length: 1001 }, (_, i) => ({ code: `e${i}` })) },
    'events may have at most 1000 items.',
  ],
];

const customTypes = 'Text, Number, Contact, Switch, List, Table, IMEI, ICCID, Email, Coordinates';
const meta = (extra: Record<string, unknown>) => ({ metaFields: [{ name: 'M', type: 'Text', ...extra }] });
const metaRows: readonly Row[] = [
  [{ metaFields: 'x' }, 'metaFields must be a list.'],
  [{ metaFields: [1] }, 'Metadata field must be an object.'],
  ...['Device Name', 'Device Owner', 'Location', 'Time Zone', 'Hotspot Name'].map(
    (name): Row => [meta({ name }), `Metadata field name "${name}" is reserved for a built-in field.`],
  ),
  [meta({ name: 'a,b' }), 'Metadata field name "a,b" must not contain / + # , or control characters.'],
  [meta({ name: '' }), 'Metadata field name must be 1-50 characters.'],
  [meta({ type: 'DeviceName' }), `Metadata field "M" type must be one of ${customTypes}.`],
  [meta({ type: 'Unit' }), `Metadata field "M" type must be one of ${customTypes}.`],
  [
    {
      metaFields: [
        { name: 'M', type: 'Text' },
        { name: 'M', type: 'Email' },
      ],
    },
    'Metadata field name "M" is used twice.',
  ],
  [meta({ min: 1 }), 'Metadata field "M" of type Text cannot have min or max.'],
  [meta({ type: 'Number', min: 2, max: 1 }), 'Metadata field "M" min must not be greater than max.'],
  [meta({ type: 'Number', min: 'a' }), 'Metadata field "M" min must be a finite number.'],
  [
    meta({ type: 'Number', defaultValue: 'abc' }),
    'Metadata field "M" default value must be a number within min and max.',
  ],
  [
    meta({ type: 'Number', max: 5, defaultValue: '6' }),
    'Metadata field "M" default value must be a number within min and max.',
  ],
  [
    meta({ defaultValue: 'x'.repeat(256) }),
    'Metadata field "M" default value must be at most 255 characters.',
  ],
  [meta({ defaultValue: 5 }), 'Metadata field "M" default value must be a string.'],
  [meta({ type: 'List' }), 'Metadata field "M" of type List needs at least one option.'],
  [meta({ options: ['a'] }), 'Metadata field "M" of type Text cannot have options.'],
  [meta({ type: 'List', options: ['a', 'a'] }), 'Metadata field "M" has option "a" twice.'],
  [
    meta({ type: 'List', options: ['a'], defaultValue: 'b' }),
    'Metadata field "M" default value must be one of its options.',
  ],
];

for (const [section, rows] of [
  ['§5.2 template fields', templateRows],
  ['§5.3 datastreams', datastreamRows],
  ['§5.6 events', eventRows],
  ['§5.5 metadata fields', metaRows],
] as const) {
  test(`spec ${section}: every rule refuses with its message, on create and on update`, async (t) => {
    const { platform, root, as } = await templateWorld(t, { options: { maxDatastreamsPerTemplate: 3 } });
    const existing = await platform.templates.create(as(root), { name: 'Existing' });
    for (const [input, message] of rows) {
      const body = { name: 'T', ...input } as unknown as TemplateInput;
      await assert.rejects(
        platform.templates.create(as(root), body),
        { name: 'ValidationError', message },
        message,
      );
      // Identity fields are checked differently on update; an undefined field is "not given" there.
      if ('templateId' in input || 'orgId' in input || Object.values(input).includes(undefined)) continue;
      await assert.rejects(
        platform.templates.update(as(root), existing.id, body),
        { name: 'ValidationError', message },
        message,
      );
    }
    assert.equal((await platform.templates.list(as(root))).totalElements, 1);
    assert.deepEqual(await platform.templates.get(as(root), existing.id), existing);
  });
}

test('spec §5.2 create refuses a body that is not an object', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  await assert.rejects(platform.templates.create(as(root), null as unknown as TemplateInput), {
    name: 'ValidationError',
    message: 'Template must be an object.',
  });
});

test('spec §5.3 full-list update refuses one id twice', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  const created = await platform.templates.create(as(root), {
    name: 'T',
    datastreams: [integerStream('P', 1)],
  });
  const [p] = created.datastreams;
  assert.ok(p);
  await assert.rejects(
    platform.templates.update(as(root), created.id, { datastreams: [p, { ...p, name: 'Q', pin: 2 }] }),
    {
      name: 'ValidationError',
      message: `Datastream id ${p.id} appears twice.`,
    },
  );
});

test('spec §5.3, §5.5, §5.6 valid definitions of every type are stored with their defaults filled in', async (t) => {
  const { platform, root, as } = await templateWorld(t);
  const created = await platform.templates.create(as(root), {
    name: 'All types',
    datastreams: [
      integerStream('Set Temperature', 0, {
        min: -2147483648,
        max: 2147483647,
        defaultValue: 20,
        alias: 'Setpoint 1',
      }),
      {
        name: 'Humidity',
        pin: 1,
        type: 'Double',
        min: 0.5,
        max: 99.5,
        defaultValue: 40.25,
        units: '%',
        decimals: 2,
        isSync: true,
        isRaw: true,
      },
      { name: 'Label', pin: 2, type: 'String', defaultValue: 'héllo', isSync: false, isRaw: false },
      {
        name: 'Mode',
        pin: 3,
        type: 'Enum',
        enumValues: [
          { value: 5, label: 'Eco' },
          { value: -1, label: 'Off' },
        ],
        isSync: false,
        isRaw: false,
      },
      { name: 'Where', pin: 4, type: 'Location', defaultValue: [30.5, 50.4], isSync: false, isRaw: false },
      { name: 'On Off', pin: 255, type: 'Boolean', defaultValue: false, isSync: false, isRaw: false },
    ],
    events: [
      { code: 'over heat_1' },
      { code: 'door', name: 'Door', type: 'CRITICAL', description: 'Door opened' },
    ],
    metaFields: [
      { name: 'Serial', type: 'Text', defaultValue: 'n/a' },
      { name: 'Floor', type: 'Number', min: 0, max: 10, defaultValue: '3' },
      { name: 'Colour', type: 'List', options: ['red', 'green'], defaultValue: 'green' },
    ],
  });
  assert.equal(created.datastreams.length, 6);
  assert.equal(created.datastreams[3]?.enumFallback, 5);
  assert.deepEqual(created.datastreams[4]?.defaultValue, [30.5, 50.4]);
  assert.deepEqual(
    created.events.map(({ code, name, type, description }) => ({ code, name, type, description })),
    [
      { code: 'over heat_1', name: 'over heat_1', type: 'INFORMATION', description: '' },
      { code: 'door', name: 'Door', type: 'CRITICAL', description: 'Door opened' },
    ],
  );
  assert.deepEqual(
    created.metaFields.slice(5).map((f) => f.name),
    ['Serial', 'Floor', 'Colour'],
  );
  // Untyped extras (a JSON body's unknown keys) are not stored.
  const extra = await platform.templates.create(as(root), {
    name: 'Extra',
    datastreams: [{ ...integerStream('P', 1), color: '#fff' } as never],
  });
  assert.equal('color' in (extra.datastreams[0] ?? {}), false);
});
