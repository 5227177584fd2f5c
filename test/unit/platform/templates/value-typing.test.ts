import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DatastreamValue } from '../../../../src/platform/model.js';
import {
  coerceJsonValue,
  formatValue,
  parseValue,
  type TypedDatastream,
  type ValueResult,
} from '../../../../src/platform/templates/value-typing.js';

const int: TypedDatastream = { name: 'Power', type: 'Integer' };
const intRange: TypedDatastream = { name: 'Level', type: 'Integer', min: 0, max: 100 };
const dbl: TypedDatastream = { name: 'Temp', type: 'Double' };
const dblRange: TypedDatastream = { name: 'Set Temperature', type: 'Double', min: -10.5, max: 30.25 };
const bool: TypedDatastream = { name: 'Switch', type: 'Boolean' };
const str: TypedDatastream = { name: 'Label', type: 'String' };
const enm: TypedDatastream = {
  name: 'Mode',
  type: 'Enum',
  enumValues: [
    { value: 0, label: 'Off' },
    { value: 2, label: 'Eco' },
    { value: -5, label: 'Odd' },
  ],
  enumFallback: 2,
};
const enmNoFallback: TypedDatastream = {
  name: 'Mode2',
  type: 'Enum',
  enumValues: [{ value: 9, label: 'Nine' }],
};
const loc: TypedDatastream = { name: 'Where', type: 'Location' };

const ok = (value: DatastreamValue, clamped = false): ValueResult => ({ ok: true, value, clamped });
const no = (reason: string): ValueResult => ({ ok: false, reason });

type Row = readonly [TypedDatastream, string | string[], ValueResult];

const parseRows: readonly Row[] = [
  // Integer: optional sign and digits only, 32-bit (spec §3.5, §7.3).
  [int, '0', ok(0)],
  [int, '123', ok(123)],
  [int, '+17', ok(17)],
  [int, '-42', ok(-42)],
  [int, '-0', ok(0)],
  [int, '007', ok(7)],
  [int, '2147483647', ok(2147483647)],
  [int, '-2147483648', ok(-2147483648)],
  [int, '2147483648', no('Value "2147483648" is outside the 32-bit Integer range for datastream "Power"')],
  [int, '-2147483649', no('Value "-2147483649" is outside the 32-bit Integer range for datastream "Power"')],
  [int, '1.0', no('Value "1.0" does not match type Integer for datastream "Power"')],
  [int, '12.5', no('Value "12.5" does not match type Integer for datastream "Power"')],
  [int, '123.45', no('Value "123.45" does not match type Integer for datastream "Power"')],
  [int, '1e3', no('Value "1e3" does not match type Integer for datastream "Power"')],
  [int, 'abc', no('Value "abc" does not match type Integer for datastream "Power"')],
  [int, '', no('Value "" does not match type Integer for datastream "Power"')],
  [int, ' 1', no('Value " 1" does not match type Integer for datastream "Power"')],
  [int, '1 ', no('Value "1 " does not match type Integer for datastream "Power"')],
  [int, '0x10', no('Value "0x10" does not match type Integer for datastream "Power"')],
  [int, '+', no('Value "+" does not match type Integer for datastream "Power"')],
  [int, '1\u00002', no('Value "1\\02" does not match type Integer for datastream "Power"')],
  [int, ['5'], ok(5)],
  [int, ['1', '2'], no('Datastream "Power" expects one value, got 2')],
  [int, [], no('Datastream "Power" expects one value, got 0')],
  // Clamping (spec §3.5: clamp, not reject).
  [intRange, '50', ok(50)],
  [intRange, '0', ok(0)],
  [intRange, '100', ok(100)],
  [intRange, '101', ok(100, true)],
  [intRange, '-1', ok(0, true)],
  [intRange, '2000000000', ok(100, true)],
  // Double: finite decimal, exponent allowed.
  [dbl, '21.375', ok(21.375)],
  [dbl, '12', ok(12)],
  [dbl, '-0.5', ok(-0.5)],
  [dbl, '.5', ok(0.5)],
  [dbl, '5.', ok(5)],
  [dbl, '+1.5e3', ok(1500)],
  [dbl, '1E-2', ok(0.01)],
  [dbl, '-0', ok(0)],
  [dbl, '1e309', no('Value "1e309" does not match type Double for datastream "Temp"')],
  [dbl, 'NaN', no('Value "NaN" does not match type Double for datastream "Temp"')],
  [dbl, 'Infinity', no('Value "Infinity" does not match type Double for datastream "Temp"')],
  [dbl, '1,5', no('Value "1,5" does not match type Double for datastream "Temp"')],
  [dbl, '0x1A', no('Value "0x1A" does not match type Double for datastream "Temp"')],
  [dbl, '1e', no('Value "1e" does not match type Double for datastream "Temp"')],
  [dbl, '.', no('Value "." does not match type Double for datastream "Temp"')],
  [dbl, '', no('Value "" does not match type Double for datastream "Temp"')],
  [dblRange, '30.26', ok(30.25, true)],
  [dblRange, '-11', ok(-10.5, true)],
  [dblRange, '-10.5', ok(-10.5)],
  // Boolean: 0/1/true/false.
  [bool, '1', ok(true)],
  [bool, '0', ok(false)],
  [bool, 'true', ok(true)],
  [bool, 'false', ok(false)],
  [bool, 'TRUE', no('Value "TRUE" does not match type Boolean for datastream "Switch"')],
  [bool, '2', no('Value "2" does not match type Boolean for datastream "Switch"')],
  [bool, 'yes', no('Value "yes" does not match type Boolean for datastream "Switch"')],
  [bool, '', no('Value "" does not match type Boolean for datastream "Switch"')],
  // String: any text up to 1024 bytes of UTF-8 (spec §3.5).
  [str, 'hello world', ok('hello world')],
  [str, '', ok('')],
  [str, 'x'.repeat(1024), ok('x'.repeat(1024))],
  [str, 'x'.repeat(1025), no('Value for datastream "Label" is longer than 1024 bytes')],
  [str, 'é'.repeat(512), ok('é'.repeat(512))],
  [str, `${'é'.repeat(512)}x`, no('Value for datastream "Label" is longer than 1024 bytes')],
  [str, ['only'], ok('only')],
  [str, ['a', 'b'], no('Datastream "Label" expects one value, got 2')],
  // Enum: integer code; unknown code → fallback (spec §3.5).
  [enm, '0', ok(0)],
  [enm, '2', ok(2)],
  [enm, '-5', ok(-5)],
  [enm, '3', ok(2, true)],
  [enm, '99999', ok(2, true)],
  [enmNoFallback, '1', ok(9, true)],
  [enm, '1.5', no('Value "1.5" does not match type Enum for datastream "Mode"')],
  [enm, 'Eco', no('Value "Eco" does not match type Enum for datastream "Mode"')],
  [enm, '9999999999', no('Value "9999999999" does not match type Enum for datastream "Mode"')],
  // Location: lon then lat (spec §3.4), NUL-separated or as two items.
  [loc, '30.5\u000050.25', ok([30.5, 50.25])],
  [loc, ['-180', '-90'], ok([-180, -90])],
  [loc, ['180', '90'], ok([180, 90])],
  [loc, ['1e1', '-0'], ok([10, 0])],
  [loc, ['180.1', '0'], no('Location 180.1,0 is out of range (lon ±180, lat ±90) for datastream "Where"')],
  [loc, ['0', '-90.5'], no('Location 0,-90.5 is out of range (lon ±180, lat ±90) for datastream "Where"')],
  [loc, '30.5', no('Location for datastream "Where" needs two values, lon and lat, got 1')],
  [loc, ['1', '2', '3'], no('Location for datastream "Where" needs two values, lon and lat, got 3')],
  [loc, ['east', '2'], no('Value "east,2" does not match type Location for datastream "Where"')],
  [loc, '30.5,50.25', ok([30.5, 50.25])],
  [loc, '1,2,3', no('Location for datastream "Where" needs two values, lon and lat, got 3')],
];

test('spec §3.5 parseValue: text payloads per type, clamping and Enum fallback', () => {
  for (const [ds, raw, expected] of parseRows) {
    assert.deepEqual(parseValue(ds, raw), expected, `${ds.type} ${JSON.stringify(raw)}`);
  }
});

test('spec §3.5 parseValue: long offending values are shortened in the reason', () => {
  const result = parseValue(int, 'z'.repeat(500));
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.reason.length < 120, JSON.stringify(result));
  assert.ok(!result.ok && result.reason.startsWith(`Value "${'z'.repeat(40)}…" does not match type Integer`));
});

type JsonRow = readonly [TypedDatastream, unknown, ValueResult];

const jsonRows: readonly JsonRow[] = [
  [int, 5, ok(5)],
  [int, -2147483648, ok(-2147483648)],
  [int, 2147483648, no('Value 2147483648 is outside the 32-bit Integer range for datastream "Power"')],
  [int, 1.5, no('Value 1.5 does not match type Integer for datastream "Power"')],
  [int, '5', ok(5)],
  [int, '1.5', no('Value "1.5" does not match type Integer for datastream "Power"')],
  [intRange, '500', ok(100, true)],
  [int, true, no('Value true does not match type Integer for datastream "Power"')],
  [int, null, no('Value null does not match type Integer for datastream "Power"')],
  [int, undefined, no('Value undefined does not match type Integer for datastream "Power"')],
  [intRange, 500, ok(100, true)],
  [dbl, 1.25, ok(1.25)],
  [dbl, 7, ok(7)],
  [dbl, -0, ok(0)],
  [dbl, Number.POSITIVE_INFINITY, no('Value Infinity does not match type Double for datastream "Temp"')],
  [dbl, Number.NaN, no('Value NaN does not match type Double for datastream "Temp"')],
  [dbl, '1.25', ok(1.25)],
  [dbl, 'warm', no('Value "warm" does not match type Double for datastream "Temp"')],
  [dbl, false, no('Value false does not match type Double for datastream "Temp"')],
  [dbl, [1], no('Value [1] does not match type Double for datastream "Temp"')],
  [dblRange, 100, ok(30.25, true)],
  [bool, true, ok(true)],
  [bool, false, ok(false)],
  [bool, 1, ok(true)],
  [bool, 0, ok(false)],
  [bool, 'true', ok(true)],
  [bool, '0', ok(false)],
  [bool, 2, no('Value 2 does not match type Boolean for datastream "Switch"')],
  [bool, 'yes', no('Value "yes" does not match type Boolean for datastream "Switch"')],
  [bool, null, no('Value null does not match type Boolean for datastream "Switch"')],
  [str, 'text', ok('text')],
  [str, '', ok('')],
  [str, 5, ok('5')],
  [str, 12.5, ok('12.5')],
  [str, true, ok('true')],
  [str, null, no('Value null does not match type String for datastream "Label"')],
  [str, ['a'], no('Value ["a"] does not match type String for datastream "Label"')],
  [str, { a: 1 }, no('Value {"a":1} does not match type String for datastream "Label"')],
  [str, 'x'.repeat(1025), no('Value for datastream "Label" is longer than 1024 bytes')],
  [enm, 0, ok(0)],
  [enm, 4, ok(2, true)],
  [enm, 2.5, no('Value 2.5 does not match type Enum for datastream "Mode"')],
  [enm, '0', ok(0)],
  [enm, '7', ok(2, true)],
  [enm, 'Eco', no('Value "Eco" does not match type Enum for datastream "Mode"')],
  [loc, [30.5, 50.25], ok([30.5, 50.25])],
  [loc, [-180, 90], ok([-180, 90])],
  [loc, [181, 0], no('Location 181,0 is out of range (lon ±180, lat ±90) for datastream "Where"')],
  [loc, [0, 91], no('Location 0,91 is out of range (lon ±180, lat ±90) for datastream "Where"')],
  [loc, [1], no('Value [1] does not match type Location for datastream "Where"')],
  [loc, [1, 2, 3], no('Value [1,2,3] does not match type Location for datastream "Where"')],
  [loc, ['1', '2'], ok([1, 2])],
  [loc, ['1', 2], ok([1, 2])],
  [loc, [true, 2], no('Value [true,2] does not match type Location for datastream "Where"')],
  [loc, ['east', '2'], no('Value "east,2" does not match type Location for datastream "Where"')],
  [loc, ['181', '0'], no('Location 181,0 is out of range (lon ±180, lat ±90) for datastream "Where"')],
  [
    loc,
    { lon: 1, lat: 2 },
    no('Value {"lon":1,"lat":2} does not match type Location for datastream "Where"'),
  ],
  [loc, '1,2', ok([1, 2])],
  [loc, '1\u00002', ok([1, 2])],
  [loc, '1', no('Location for datastream "Where" needs two values, lon and lat, got 1')],
  [loc, 5, no('Value 5 does not match type Location for datastream "Where"')],
];

test('spec §3.2 batch_ds / §6.2 rows 4–6 / §6.4 coerceJsonValue: own JSON type direct, other scalars by their text', () => {
  for (const [ds, json, expected] of jsonRows) {
    assert.deepEqual(coerceJsonValue(ds, json), expected, `${ds.type} ${String(json)}`);
  }
});

const formatRows: ReadonlyArray<readonly [TypedDatastream, DatastreamValue, string]> = [
  [int, 42, '42'],
  [int, -7, '-7'],
  [int, -0, '0'],
  [dbl, 12.5, '12.5'],
  [dbl, 12, '12'],
  [dbl, 0.1 + 0.2, '0.30000000000000004'],
  [dbl, -0.25, '-0.25'],
  [dbl, 1e21, '1e+21'],
  [bool, true, '1'],
  [bool, false, '0'],
  [str, 'hello', 'hello'],
  [str, '', ''],
  [enm, 2, '2'],
  [loc, [30.5, -50], '30.5\u0000-50'],
  // A value of another shape still becomes sensible text.
  [str, 5, '5'],
  [int, true, '1'],
  [bool, 1, '1'],
  [loc, 'x', 'x'],
];

test('spec §3.4 formatValue: downlink text (Boolean 1/0, no trailing zeros, Location lon\\0lat)', () => {
  for (const [ds, value, expected] of formatRows) {
    assert.equal(formatValue(ds, value), expected, `${ds.type} ${String(value)}`);
  }
});

test('spec §3.5 typing round trip: formatted values parse back to themselves (property)', () => {
  const cases = fc.oneof(
    fc.integer({ min: -2147483648, max: 2147483647 }).map((v) => [int, v] as const),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => [dbl, v] as const),
    fc.boolean().map((v) => [bool, v] as const),
    fc.string({ maxLength: 200 }).map((v) => [str, v] as const),
    fc.constantFrom(0, 2, -5).map((v) => [enm, v] as const),
    fc
      .tuple(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -90, max: 90, noNaN: true }))
      .map(([lon, lat]) => [loc, [lon, lat] as const] as const),
  );
  fc.assert(
    fc.property(cases, ([ds, value]) => {
      const parsed = parseValue(ds, formatValue(ds, value));
      const normal = (v: DatastreamValue) =>
        Array.isArray(v) ? v.map((n) => n + 0) : typeof v === 'number' ? v + 0 : v;
      assert.deepEqual(parsed, { ok: true, value: normal(value), clamped: false });
    }),
  );
});

test('spec §3.5 parseValue never throws and never yields a value outside [min, max] (property)', () => {
  const kinds = [int, intRange, dbl, dblRange, bool, str, enm, loc];
  fc.assert(
    fc.property(
      fc.constantFrom(...kinds),
      fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })),
      (ds, raw) => {
        const result = parseValue(ds, raw);
        if (result.ok && typeof result.value === 'number') {
          assert.ok(ds.min === undefined || result.value >= ds.min);
          assert.ok(ds.max === undefined || result.value <= ds.max);
        }
      },
    ),
  );
});

test('spec §3.5 one typing: a JSON text is typed exactly as the same ds/NAME payload (property)', () => {
  const kinds = [int, intRange, dbl, dblRange, bool, str, enm, loc];
  fc.assert(
    fc.property(
      fc.constantFrom(...kinds),
      fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String)),
      (ds, text) => assert.deepEqual(coerceJsonValue(ds, text), parseValue(ds, text)),
    ),
  );
});

test('spec §3.5 one typing: a JSON number is accepted iff its text is, with the same value (property)', () => {
  const kinds = [int, intRange, dbl, dblRange, bool, str, enm];
  fc.assert(
    fc.property(
      fc.constantFrom(...kinds),
      fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, 1, 2)),
      (ds, n) => {
        const json = coerceJsonValue(ds, n);
        const text = parseValue(ds, Object.is(n, -0) ? '0' : String(n));
        assert.equal(json.ok, text.ok, `${ds.type} ${n}`);
        if (json.ok && text.ok) assert.deepEqual(json.value, text.value);
      },
    ),
  );
});
