import assert from 'node:assert/strict';
import { SocketAddress } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  MAX_V1_BYTES,
  MAX_V2_BYTES,
  type ProxyParse,
  parseProxyHeader,
} from '../../../src/mqtt/transport/proxy-protocol/header.js';
import { ipv6Text } from '../../../src/mqtt/transport/proxy-protocol/ipv6-text.js';
import { V2_SIGNATURE } from '../../../src/mqtt/transport/proxy-protocol/v2.js';
import { proxyV1, proxyV2 } from '../../helpers/proxy-header.js';

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

function complete(result: ProxyParse): Extract<ProxyParse, { status: 'complete' }> {
  assert.equal(result.status, 'complete', JSON.stringify(result));
  return result as Extract<ProxyParse, { status: 'complete' }>;
}

function refusedWith(result: ProxyParse, pattern: RegExp): void {
  assert.equal(result.status, 'refused', JSON.stringify(result));
  assert.match((result as { reason: string }).reason, pattern);
}

/** Every proper prefix of a complete header is `incomplete`: a header split over segments waits. */
function assertIncompleteUntilLast(header: Buffer): void {
  for (let length = 0; length < header.length; length++) {
    assert.deepEqual(
      parseProxyHeader(header.subarray(0, length)),
      { status: 'incomplete' },
      `prefix ${length}`,
    );
  }
}

describe('PROXY protocol v1 (proxy-protocol.txt §2.1)', () => {
  test('TCP4: source and destination, consumed up to CRLF, client bytes after it left alone', () => {
    const header = proxyV1('192.0.2.10', 51234, '198.51.100.1', 1883);
    const result = complete(parseProxyHeader(Buffer.concat([header, Buffer.from([0x10, 0x0c])])));
    assert.equal(result.consumed, header.length);
    assert.deepEqual(result.header, {
      version: 1,
      source: { address: '192.0.2.10', port: 51234, family: 'IPv4' },
      destination: { address: '198.51.100.1', port: 1883, family: 'IPv4' },
    });
  });

  test('TCP6: addresses in canonical compressed form, ports 0 and 65535 accepted', () => {
    const header = latin1('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:192.0.2.1 0 65535\r\n');
    const result = complete(parseProxyHeader(header));
    assert.equal(result.header.source?.address, '2001:db8::1');
    assert.equal(result.header.source?.port, 0);
    assert.equal(result.header.destination?.address, '::ffff:192.0.2.1');
    assert.equal(result.header.destination?.port, 65535);
  });

  test("UNKNOWN: no addresses (the socket's own stand); whatever follows UNKNOWN is ignored", () => {
    assert.deepEqual(complete(parseProxyHeader(latin1('PROXY UNKNOWN\r\n'))).header, { version: 1 });
    const long = latin1('PROXY UNKNOWN ffff::1 ffff::2 65535 65535\r\nrest');
    assert.equal(complete(parseProxyHeader(long)).consumed, long.length - 4);
  });

  test('split at every byte: incomplete until the final LF', () => {
    assertIncompleteUntilLast(proxyV1('203.0.113.7', 40000));
    assertIncompleteUntilLast(
      latin1('PROXY TCP6 ffff:f:f:f:f:f:f:ffff ffff:f:f:f:f:f:f:ffff 65535 65535\r\n'),
    );
  });

  test('107 bytes without CRLF are refused; 106 still wait (the longest header is 107 with CRLF)', () => {
    const filler = latin1(`PROXY UNKNOWN ${'x'.repeat(MAX_V1_BYTES)}`);
    assert.deepEqual(parseProxyHeader(filler.subarray(0, MAX_V1_BYTES - 1)), { status: 'incomplete' });
    refusedWith(parseProxyHeader(filler.subarray(0, MAX_V1_BYTES)), /longer than 107/);
    const longest = latin1(`PROXY UNKNOWN ${'x'.repeat(MAX_V1_BYTES - 16)}\r\n`);
    assert.equal(longest.length, MAX_V1_BYTES);
    assert.equal(complete(parseProxyHeader(longest)).consumed, MAX_V1_BYTES);
  });

  test('line ends other than CRLF are refused (bare CR, bare LF)', () => {
    refusedWith(parseProxyHeader(latin1('PROXY UNKNOWN\rX')), /CRLF/);
    refusedWith(parseProxyHeader(latin1('PROXY UNKNOWN\n')), /CRLF/);
    assert.deepEqual(parseProxyHeader(latin1('PROXY UNKNOWN\r')), { status: 'incomplete' });
  });

  const malformed: Record<string, string> = {
    'too few fields': 'PROXY TCP4 192.0.2.1 192.0.2.2 1000\r\n',
    'too many fields': 'PROXY TCP4 192.0.2.1 192.0.2.2 1000 2000 3000\r\n',
    'two spaces': 'PROXY TCP4  192.0.2.1 192.0.2.2 1000 2000\r\n',
    'unknown protocol': 'PROXY UDP4 192.0.2.1 192.0.2.2 1000 2000\r\n',
    'lower-case protocol': 'PROXY tcp4 192.0.2.1 192.0.2.2 1000 2000\r\n',
    'IPv6 under TCP4': 'PROXY TCP4 ::1 ::2 1000 2000\r\n',
    'IPv4 under TCP6': 'PROXY TCP6 192.0.2.1 192.0.2.2 1000 2000\r\n',
    'port above 65535': 'PROXY TCP4 192.0.2.1 192.0.2.2 65536 2000\r\n',
    'port with a leading zero': 'PROXY TCP4 192.0.2.1 192.0.2.2 01000 2000\r\n',
    'negative port': 'PROXY TCP4 192.0.2.1 192.0.2.2 -1 2000\r\n',
    'address with a leading zero': 'PROXY TCP4 192.0.2.01 192.0.2.2 1000 2000\r\n',
    'host name': 'PROXY TCP4 example.com 192.0.2.2 1000 2000\r\n',
    'IPv6 zone index': 'PROXY TCP6 fe80::1%eth0 ::2 1000 2000\r\n',
    'UNKNOWN glued to more': 'PROXY UNKNOWNX\r\n',
  };
  for (const [name, line] of Object.entries(malformed)) {
    test(`refused: ${name}`, () => assert.equal(parseProxyHeader(latin1(line)).status, 'refused'));
  }
});

describe('PROXY protocol v2 (proxy-protocol.txt §2.2)', () => {
  test('PROXY over TCP/IPv4: addresses, ports and the client bytes after the header', () => {
    const header = proxyV2('192.0.2.10', 51234, '198.51.100.1', 8883);
    assert.equal(header.length, 16 + 12);
    const result = complete(parseProxyHeader(Buffer.concat([header, Buffer.from([0x16, 0x03])])));
    assert.equal(result.consumed, header.length);
    assert.deepEqual(result.header, {
      version: 2,
      source: { address: '192.0.2.10', port: 51234, family: 'IPv4' },
      destination: { address: '198.51.100.1', port: 8883, family: 'IPv4' },
    });
  });

  test('PROXY over TCP/IPv6: canonical compressed addresses', () => {
    const result = complete(parseProxyHeader(proxyV2('2001:db8:0:0:1:0:0:1', 65535, '::1', 0)));
    assert.equal(result.header.source?.address, '2001:db8::1:0:0:1');
    assert.equal(result.header.source?.family, 'IPv6');
    assert.equal(result.header.destination?.address, '::1');
    assert.equal(result.header.destination?.port, 0);
  });

  test('split at every byte: incomplete until the last byte of the declared length', () => {
    assertIncompleteUntilLast(proxyV2('192.0.2.10', 1));
    assertIncompleteUntilLast(
      proxyV2('2001:db8::1', 2, '2001:db8::2', 3, { tlvs: Buffer.from([0x04, 0, 2, 9, 9]) }),
    );
  });

  test('LOCAL: accepted with no addresses, whatever its family and address block', () => {
    const local = proxyV2('192.0.2.10', 1, undefined, undefined, { command: 'local', familyByte: 0x31 });
    const result = complete(parseProxyHeader(local));
    assert.deepEqual(result.header, { version: 2 });
    assert.equal(result.consumed, local.length);
    const bare = Buffer.concat([V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
    assert.equal(complete(parseProxyHeader(bare)).consumed, 16);
  });

  test("PROXY with AF_UNSPEC: accepted with no addresses (the socket's own stand)", () => {
    const unspec = Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x00, 0x00, 0x00])]);
    assert.deepEqual(complete(parseProxyHeader(unspec)).header, { version: 2 });
  });

  test('AF_UNIX, datagram and unknown families are refused', () => {
    for (const family of [0x31, 0x32, 0x12, 0x22, 0x10, 0x13, 0x41, 0xff]) {
      const header = proxyV2('192.0.2.10', 1, undefined, undefined, {
        familyByte: family,
        tlvs: Buffer.alloc(216),
      });
      refusedWith(parseProxyHeader(header), /family/);
    }
  });

  test('versions other than 2 and commands other than LOCAL/PROXY are refused', () => {
    const header = proxyV2('192.0.2.10', 1);
    for (const versionCommand of [0x11, 0x31, 0x01, 0xf1]) {
      const bent = Buffer.from(header);
      bent[12] = versionCommand;
      refusedWith(parseProxyHeader(bent), /version/);
    }
    for (const versionCommand of [0x22, 0x2f]) {
      const bent = Buffer.from(header);
      bent[12] = versionCommand;
      refusedWith(parseProxyHeader(bent), /command/);
    }
  });

  test('a declared length past 536 bytes in all is refused at once, before the bytes arrive', () => {
    const fixed = Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x11, 0x02, 0x09])]); // 16 + 521
    refusedWith(parseProxyHeader(fixed), /exceeds 536/);
    const huge = Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
    refusedWith(parseProxyHeader(huge), /exceeds/);
  });

  test('exactly 536 bytes (a NOOP TLV filling it) is accepted', () => {
    const noop = Buffer.alloc(MAX_V2_BYTES - 16 - 12);
    noop.writeUInt8(0x04, 0);
    noop.writeUInt16BE(noop.length - 3, 1);
    const header = proxyV2('192.0.2.10', 1, undefined, undefined, { tlvs: noop });
    assert.equal(header.length, MAX_V2_BYTES);
    assert.equal(complete(parseProxyHeader(header)).consumed, MAX_V2_BYTES);
  });

  test('an address block shorter than its family needs is refused', () => {
    const short4 = Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x11, 0x00, 0x08]), Buffer.alloc(8)]);
    refusedWith(parseProxyHeader(short4), /shorter than 12/);
    const short6 = Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x21, 0x00, 0x0c]), Buffer.alloc(12)]);
    refusedWith(parseProxyHeader(short6), /shorter than 36/);
  });

  test('TLVs: each must fit in the header', () => {
    const tlv = (bytes: number[]) =>
      parseProxyHeader(proxyV2('192.0.2.10', 1, undefined, undefined, { tlvs: Buffer.from(bytes) }));
    assert.equal(tlv([0x01, 0x00, 0x02, 0x68, 0x32, 0x05, 0x00, 0x00]).status, 'complete'); // ALPN + empty UNIQUE_ID
    refusedWith(tlv([0x01, 0x00]), /TLV header truncated/);
    refusedWith(tlv([0x01, 0x00, 0x05, 0x68, 0x32]), /longer than the header/);
  });

  test('CRC32C TLV: a matching checksum is accepted, a wrong one or a wrong length refused', () => {
    assert.equal(
      parseProxyHeader(proxyV2('192.0.2.10', 1, undefined, undefined, { crc: true })).status,
      'complete',
    );
    const good = proxyV2('2001:db8::5', 7, undefined, undefined, { crc: true });
    const bad = Buffer.from(good);
    bad.writeUInt32BE((bad.readUInt32BE(bad.length - 4) ^ 1) >>> 0, bad.length - 4);
    refusedWith(parseProxyHeader(bad), /CRC32C mismatch/);
    const flipped = Buffer.from(good);
    flipped[20] = (flipped[20]! ^ 0xff) & 0xff; // an address byte changed in transit
    refusedWith(parseProxyHeader(flipped), /CRC32C mismatch/);
    const wrongLength = proxyV2('192.0.2.10', 1, undefined, undefined, {
      tlvs: Buffer.from([0x03, 0x00, 0x02, 1, 2]),
    });
    refusedWith(parseProxyHeader(wrongLength), /not 4 bytes/);
  });
});

describe('neither signature', () => {
  test('a client that speaks MQTT, TLS or HTTP straight away is refused at its first byte', () => {
    for (const first of [
      [0x10],
      [0x16, 0x03, 0x01],
      latin1('GET / HTTP/1.1'),
      latin1('PROXX'),
      latin1('proxy '),
    ]) {
      refusedWith(parseProxyHeader(Buffer.from(first)), /no PROXY protocol signature/);
    }
  });

  test('a prefix of either signature waits; a divergence inside the v2 signature is refused', () => {
    assert.deepEqual(parseProxyHeader(Buffer.alloc(0)), { status: 'incomplete' });
    assert.deepEqual(parseProxyHeader(latin1('PROX')), { status: 'incomplete' });
    assert.deepEqual(parseProxyHeader(V2_SIGNATURE.subarray(0, 11)), { status: 'incomplete' });
    const bent = Buffer.from(V2_SIGNATURE);
    bent[6] = 0x00;
    refusedWith(parseProxyHeader(bent), /signature/);
  });
});

describe('fuzz: no input throws, and every verdict is stable as bytes arrive', () => {
  const valid = fc.oneof(
    fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([a, p]) => proxyV1(a, p)),
    fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 })).map(([a, p]) => proxyV1(a, p, '::1')),
    fc
      .tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 }))
      .map(([a, p]) => proxyV2(a, p, undefined, undefined, { crc: true })),
    fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 })).map(([a, p]) => proxyV2(a, p)),
  );

  test('random bytes, and random bytes after either signature, give a verdict without throwing', () => {
    const tail = fc.uint8Array({ maxLength: 700 });
    const input = fc.oneof(
      tail.map((t) => Buffer.from(t)),
      tail.map((t) => Buffer.concat([V2_SIGNATURE, t])),
      tail.map((t) => Buffer.concat([latin1('PROXY '), t])),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        const result = parseProxyHeader(bytes);
        if (result.status === 'complete') assert.ok(result.consumed <= Math.min(bytes.length, MAX_V2_BYTES));
      }),
      { numRuns: 3000 },
    );
  });

  test('valid headers with one byte changed never throw; whole ones parse in any segmentation', () => {
    fc.assert(
      fc.property(
        valid,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (header, at, byte, cuts) => {
          const bent = Buffer.from(header);
          bent[at % bent.length] = byte;
          parseProxyHeader(bent);
          // A reader sees growing prefixes: all but the last are incomplete, the last is complete.
          const points = [...new Set(cuts.map((c) => c % header.length))].sort((a, b) => a - b);
          for (const point of points)
            assert.equal(parseProxyHeader(header.subarray(0, point)).status, 'incomplete');
          assert.equal(complete(parseProxyHeader(header)).consumed, header.length);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('IPv6 text of a v2 address', () => {
  const nodeText = (bytes: Uint8Array): string => {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
  };

  test('written exactly as Node writes a socket address (zero runs, IPv4-mapped and -compatible forms)', () => {
    const sparse = fc.uint8Array({ minLength: 16, maxLength: 16 }).chain((bytes) =>
      fc.array(fc.nat(15), { maxLength: 16 }).map((zeroed) => {
        const copy = Uint8Array.from(bytes);
        for (const i of zeroed) copy[i] = 0;
        return copy;
      }),
    );
    const mapped = fc
      .uint8Array({ minLength: 4, maxLength: 4 })
      .map((v4) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]));
    const zeros = fc.nat(0xffff).map((mask) => {
      const bytes = new Uint8Array(16);
      for (let i = 0; i < 16; i++) if (mask & (1 << i)) bytes[i] = 1;
      return bytes;
    });
    fc.assert(
      fc.property(fc.oneof(sparse, mapped, zeros), (bytes) =>
        assert.equal(ipv6Text(bytes, 0), nodeText(bytes)),
      ),
      { numRuns: 20_000 },
    );
    assert.equal(ipv6Text(new Uint8Array(16), 0), '::');
  });
});
