import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressList } from '../../../src/lib/address-list.js';

test('AddressList: single addresses and CIDR blocks of both families; IPv4-mapped IPv6 matches its IPv4 entry', () => {
  const list = new AddressList(['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1']);
  assert.ok(list.has('10.200.1.1'));
  assert.ok(list.has('::ffff:10.1.2.3'));
  assert.ok(list.has('192.0.2.7'));
  assert.ok(!list.has('192.0.2.8'));
  assert.ok(list.has('fd12::1'));
  assert.ok(list.has('::1'));
  assert.ok(!list.has('2001:db8::1'));
  assert.ok(!list.has(undefined));
  assert.ok(!list.has('not an address'));
});

test('AddressList: refuses host names, zone indexes, prefixes out of range and junk', () => {
  for (const entry of [
    'lb.example',
    'fe80::1%eth0',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/',
    '10.0.0.0/8/8',
    '1.2.3.4/-1',
  ]) {
    assert.throws(() => new AddressList([entry]), /not an address or CIDR block/, entry);
  }
});
