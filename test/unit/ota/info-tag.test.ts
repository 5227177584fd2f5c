import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeInfoTag, findInfoTag, type InfoTag } from '../../../src/ota/info-tag.js';

const MAGIC = 'blnkinf\0';
const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const garbage = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0xff, 0x62, 0x6c]);

/** What the Blynk library compiles: BLYNK_PARAM_KV pairs, an explicit "\0", and the string's own NUL. */
const LIBRARY_TAG = `${MAGIC}mcu\x000.5.0\0fw-type\0TMPL12345678\0build\0Mar 05 2024 18:29:27\0blynk\x001.3.2\0\0\0`;
const FULL: Partial<InfoTag> = {
  version: '0.5.0',
  fwType: 'TMPL12345678',
  build: 'Mar 05 2024 18:29:27',
  blynkVersion: '1.3.2',
};

const cases: ReadonlyArray<{ name: string; image: Buffer; expect: Partial<InfoTag> | undefined }> = [
  { name: 'the library tag alone', image: bytes(LIBRARY_TAG), expect: FULL },
  {
    name: 'valid tag inside an image (garbage before and after)',
    image: Buffer.concat([garbage, bytes(LIBRARY_TAG), garbage]),
    expect: FULL,
  },
  {
    name: 'only some keys (MicroPython omits build)',
    image: bytes(`${MAGIC}mcu\x001.0\0fw-type\0TMPLabcdefgh\0\0`),
    expect: { version: '1.0', fwType: 'TMPLabcdefgh' },
  },
  {
    name: 'unknown keys are kept in pairs only',
    image: bytes(`${MAGIC}mcu\x002.0\0hw\0esp32\0\0`),
    expect: { version: '2.0' },
  },
  { name: 'missing tag', image: Buffer.concat([garbage, garbage]), expect: undefined },
  { name: 'empty image', image: Buffer.alloc(0), expect: undefined },
  { name: 'magic only, at the end', image: Buffer.concat([garbage, bytes(MAGIC)]), expect: undefined },
  { name: 'truncated inside a value', image: bytes(`${MAGIC}mcu\x000.5`), expect: undefined },
  { name: 'truncated after a key', image: bytes(`${MAGIC}mcu\0`), expect: undefined },
  { name: 'truncated before the final NUL', image: bytes(`${MAGIC}mcu\x000.5.0\0`), expect: undefined },
  { name: 'no pairs at all', image: bytes(`${MAGIC}\0`), expect: undefined },
  {
    name: 'binary garbage inside a value is not a tag',
    image: Buffer.concat([bytes(`${MAGIC}mcu\0`), Buffer.from([0x01, 0xff, 0x00, 0x00])]),
    expect: undefined,
  },
  {
    name: 'a key that is not an identifier is not a tag',
    image: bytes(`${MAGIC}m c u\x001.0\0\0`),
    expect: undefined,
  },
  {
    name: 'an over-long value is not a tag',
    image: bytes(`${MAGIC}mcu\0${'9'.repeat(500)}\0\0`),
    expect: undefined,
  },
  {
    name: 'a broken occurrence is skipped for a later valid one',
    image: Buffer.concat([bytes(`${MAGIC}mcu\0`), garbage, bytes(LIBRARY_TAG)]),
    expect: FULL,
  },
  {
    name: 'empty values read as absent',
    image: bytes(`${MAGIC}mcu\0\0fw-type\0T\0\0`),
    expect: { fwType: 'T' },
  },
];

describe('spec §3.4 binary info tag', () => {
  for (const { name, image, expect } of cases) {
    test(name, () => {
      const tag = findInfoTag(image);
      if (expect === undefined) {
        assert.equal(tag, undefined);
        return;
      }
      assert.ok(tag, 'a tag is found');
      const { pairs: _pairs, ...fields } = tag;
      assert.deepEqual(fields, expect);
    });
  }

  test('pairs keep every key as found', () => {
    const tag = findInfoTag(bytes(`${MAGIC}mcu\x002.0\0hw\0esp32\0\0`));
    assert.deepEqual(tag?.pairs, { mcu: '2.0', hw: 'esp32' });
  });

  test('encodeInfoTag round-trips through findInfoTag', () => {
    const pairs = { mcu: '3.1.4', 'fw-type': 'TMPLxyz12345', build: 'Jan 01 2025 00:00:00', blynk: '1.3.2' };
    const tag = findInfoTag(Buffer.concat([garbage, encodeInfoTag(pairs), garbage]));
    assert.deepEqual(tag?.pairs, pairs);
    assert.equal(tag?.version, '3.1.4');
  });
});
