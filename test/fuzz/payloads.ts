/**
 * Payloads that are valid MQTT but odd for the Blynk topics: deep JSON, prototype keys, numbers out
 * of range, wrong JSON types, thousands of names or points, NULs, bad UTF-8. They reach the device
 * and gateway adapters, which the framing mutations mostly do not.
 */
import type { Prng } from './prng.js';
import { PUBLISH, parts, propertiesOffset, readVarint, refit } from './wire.js';

const DEEP = 50_000;

const MAKERS: ReadonlyArray<() => string | Buffer> = [
  () => `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`,
  () => `${'{"Temperature":'.repeat(DEEP / 5)}1${'}'.repeat(DEEP / 5)}`,
  () => '{"__proto__":{"polluted":1},"Temperature":1}',
  () => '{"constructor":{"prototype":{"polluted":1}},"toString":1,"hasOwnProperty":2}',
  () => '{"Temperature":1e309,"Power":-0,"Mode":1.5,"Online":"yes","Location":[1],"Message":{"a":1}}',
  () => '{"Location":[1e400,-1e400],"Set Temperature":null,"Temperature":[1,2,3]}',
  () => '[]',
  () => 'null',
  () => '"a string"',
  () => '{"Temperature":1,"Temperature":2}',
  () => 'NaN',
  () => '-Infinity',
  () => '1e309',
  () => '9'.repeat(400),
  () => '0x10',
  () => '',
  () => Array(5000).fill('Power').join(','),
  () => ','.repeat(1000),
  () => Array(2000).fill('Temperature').join('\u0000'),
  () => '\u0000'.repeat(1000),
  () => `[${Array(20_000).fill('[1700000000000,1]').join(',')}]`,
  () => '[[1e20,1],[-1,1],["x",1],[1700000000000],[1700000000000,1,2],null,5]',
  () => '{"rxbuff":0,"tmpl":{"a":1},"ver":[1],"build":7,"type":null}',
  () => '{"rxbuff":-1}',
  () => '{"rxbuff":1e12}',
  () => '{"rxbuff":"1024","ver":"99999999999999999999.1.1"}',
  () => 'x'.repeat(300_000),
  () => Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]),
];

/** Replaces a PUBLISH's payload with one of the odd ones (other packets are left as they are). */
export function withOddPayload(prng: Prng, packet: Buffer, version: 3 | 4 | 5): Buffer {
  const split = parts(packet);
  if (split === undefined || split.first >> 4 !== PUBLISH) return packet;
  const offset = propertiesOffset(split.first, split.body);
  if (offset === undefined || offset > split.body.length) return packet;
  // v5: skip the properties, a Variable Byte Integer length and that many bytes.
  const properties = version === 5 ? readVarint(split.body, offset) : undefined;
  const payloadAt = Math.min(
    split.body.length,
    offset + (properties === undefined ? 0 : properties.size + properties.value),
  );
  const made = prng.pick(MAKERS)();
  const payload = typeof made === 'string' ? Buffer.from(made) : made;
  return refit(split.first, Buffer.concat([split.body.subarray(0, payloadAt), payload]));
}
