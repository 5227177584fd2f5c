import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../../../src/platform/errors.js';
import {
  checkTypeUnderParent,
  validateAddress,
  validateDescription,
  validateHomeRegionUrl,
  validateOrgName,
  validateOrgType,
  validatePhoneNumber,
  validateTz,
  validateUnitSystem,
} from '../../../../src/platform/orgs/org-validation.js';
import { pageBounds } from '../../../../src/platform/orgs/paging.js';

test('spec §5.1 name - 3 to 100 letters, digits, spaces, dots, hyphens, apostrophes', () => {
  for (const name of ['Abc', "O'Brien Co.", 'Київ-2', 'Straße 1', 'a'.repeat(100), '123']) {
    assert.equal(validateOrgName(name), name);
  }
  assert.equal(validateOrgName('  Padded  '), 'Padded', 'trimmed');
  for (const name of ['ab', 'a'.repeat(101), 'a/b', 'a_b', 'a<b', 'a@b', 'tab\tname', '...', '   ', '', 42]) {
    assert.throws(() => validateOrgName(name), ValidationError, JSON.stringify(name));
  }
});

test('spec §5.1 description - up to 1000 characters without / \\ < >', () => {
  assert.equal(validateDescription(''), '');
  assert.equal(validateDescription('x'.repeat(1000)), 'x'.repeat(1000));
  for (const bad of ['x'.repeat(1001), 'a/b', 'a\\b', '<b>', 'a>b', 7]) {
    assert.throws(() => validateDescription(bad), ValidationError);
  }
});

test('spec §5.1 type - one of the eight types; ROOT only for the root; child of PERSONAL is PERSONAL', () => {
  for (const type of [
    'ROOT',
    'BUSINESS',
    'PERSONAL',
    'BRANCH',
    'DISTRIBUTOR',
    'CONTRACTOR',
    'INSTALLER',
    'RESELLER',
  ]) {
    assert.equal(validateOrgType(type), type);
  }
  assert.throws(() => validateOrgType('business'), ValidationError);
  assert.throws(() => validateOrgType('CLIENT'), ValidationError);
  assert.throws(() => checkTypeUnderParent('ROOT', 'BUSINESS'), ValidationError);
  assert.throws(() => checkTypeUnderParent('BUSINESS', 'PERSONAL'), ValidationError);
  checkTypeUnderParent('PERSONAL', 'PERSONAL');
  checkTypeUnderParent('PERSONAL', 'BUSINESS');
  checkTypeUnderParent('RESELLER', 'ROOT');
});

test('spec §5.1 tz - IANA time zones only', () => {
  for (const tz of ['UTC', 'Europe/Kyiv', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'Asia/Kolkata']) {
    assert.equal(validateTz(tz), tz);
  }
  for (const tz of ['Mars/Olympus', '+01:00', 'UTC+1', '', ' Europe/Kyiv', 'Europe/../Kyiv', 3]) {
    assert.throws(() => validateTz(tz), ValidationError, String(tz));
  }
});

test('spec §5.1 unitSystem, phoneNumber, address and homeRegionUrl', () => {
  assert.equal(validateUnitSystem('IMPERIAL'), 'IMPERIAL');
  assert.throws(() => validateUnitSystem('metric'), ValidationError);
  for (const phone of ['+380441234567', '+1 (555) 123-4567']) assert.equal(validatePhoneNumber(phone), phone);
  for (const phone of ['380441234567', '+12', '+1234567890123456', '+38a441234567', '']) {
    assert.throws(() => validatePhoneNumber(phone), ValidationError, phone);
  }
  const address = { fullAddress: '1 Main St', city: 'Kyiv', country: 'UA', state: 'K', zip: '01001' };
  assert.deepEqual(validateAddress(address), address);
  assert.deepEqual(validateAddress({}), {});
  for (const bad of [
    null,
    'x',
    [],
    { street: 'x' },
    { city: 7 },
    { zip: 'x'.repeat(256) },
    { city: 'a\nb' },
  ]) {
    assert.throws(() => validateAddress(bad), ValidationError, JSON.stringify(bad));
  }
  assert.equal(validateHomeRegionUrl('https://eu.example.com'), 'https://eu.example.com');
  for (const bad of ['ftp://x', 'not a url', ''])
    assert.throws(() => validateHomeRegionUrl(bad), ValidationError);
});

test('spec §6.4 paging - page is 0-based, size defaults to 50, at most 1000', () => {
  assert.deepEqual(pageBounds(), { offset: 0, limit: 50 });
  assert.deepEqual(pageBounds({ page: 2, size: 10 }), { offset: 20, limit: 10 });
  assert.deepEqual(pageBounds({ size: 1000 }), { offset: 0, limit: 1000 });
  for (const bad of [{ page: -1 }, { page: 1.5 }, { size: 0 }, { size: 1001 }, { size: Number.NaN }]) {
    assert.throws(() => pageBounds(bad), ValidationError, JSON.stringify(bad));
  }
});
