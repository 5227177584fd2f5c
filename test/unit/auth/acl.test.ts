import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AclAuthorizer, expandPattern } from '../../../src/auth/acl-authorizer.js';
import { parseAclFile } from '../../../src/auth/acl-file.js';
import { filterCoversFilter, filterMatchesTopic } from '../../../src/auth/acl-match.js';
import { AuthFileError } from '../../../src/auth/errors.js';
import type { ClientIdentity } from '../../../src/broker/auth.js';

const anon: ClientIdentity = { clientId: 'anon-1' };
const alice: ClientIdentity = { clientId: 'dev-1', username: 'alice' };
const bob: ClientIdentity = { clientId: 'dev-2', username: 'bob' };

describe('ACL topic matching', () => {
  test('§4.7 wildcards: + one level, # the rest including the parent level', () => {
    assert.equal(filterMatchesTopic('a/+/c', 'a/b/c'), true);
    assert.equal(filterMatchesTopic('a/+/c', 'a/b/d'), false);
    assert.equal(filterMatchesTopic('a/#', 'a'), true);
    assert.equal(filterMatchesTopic('a/#', 'a/b/c'), true);
    assert.equal(filterMatchesTopic('a/+', 'a/b/c'), false);
    assert.equal(filterMatchesTopic('a/b', 'a/b/'), false);
    assert.equal(filterMatchesTopic('#', 'anything/at/all'), true);
  });

  test('[MQTT-4.7.2-1] rules starting with a wildcard do not match $ topics', () => {
    assert.equal(filterMatchesTopic('#', '$SYS/broker'), false);
    assert.equal(filterMatchesTopic('+/broker', '$SYS/broker'), false);
    assert.equal(filterMatchesTopic('$SYS/#', '$SYS/broker'), true);
    assert.equal(filterCoversFilter('#', '$SYS/#'), false);
  });

  test('a subscription is covered only when it is no broader than the rule', () => {
    assert.equal(filterCoversFilter('a/#', 'a/#'), true);
    assert.equal(filterCoversFilter('a/#', 'a/+/c'), true);
    assert.equal(filterCoversFilter('a/#', 'a'), true);
    assert.equal(filterCoversFilter('a/+', 'a/b'), true);
    assert.equal(filterCoversFilter('a/+', 'a/+'), true);
    assert.equal(filterCoversFilter('a/+', 'a/#'), false);
    assert.equal(filterCoversFilter('a/b', 'a/+'), false);
    assert.equal(filterCoversFilter('a/b', '#'), false);
    assert.equal(filterCoversFilter('a/+/c', 'a/b/c/d'), false);
    assert.equal(filterCoversFilter('#', '#'), true);
  });
});

describe('ACL file', () => {
  const table = parseAclFile(
    [
      '# anonymous clients',
      'topic read public/#',
      '',
      'user alice',
      'topic readwrite alice/#',
      'topic deny alice/secret/#',
      'topic write  sensors/+/temp',
      'topic lobby',
      'pattern read devices/%c/in/#',
      'user bob',
      'topic read alice/#',
      'pattern write users/%u/out',
      'pattern deny users/%u/out/blocked',
    ].join('\n'),
    'acl',
  );
  const acl = new AclAuthorizer(table);

  test('topic lines before any user line apply to anonymous clients only', () => {
    assert.equal(acl.canSubscribe(anon, 'public/#'), true);
    assert.equal(acl.canReceive(anon, 'public/news'), true);
    assert.equal(acl.canPublish(anon, 'public/news'), false);
    assert.equal(acl.canSubscribe(alice, 'public/#'), false);
  });

  test('a user block grants read, write or readwrite (default readwrite when the access is left out)', () => {
    assert.equal(acl.canPublish(alice, 'alice/x'), true);
    assert.equal(acl.canSubscribe(alice, 'alice/+'), true);
    assert.equal(acl.canPublish(alice, 'sensors/1/temp'), true);
    assert.equal(acl.canSubscribe(alice, 'sensors/1/temp'), false);
    assert.equal(acl.canPublish(alice, 'lobby'), true);
    assert.equal(acl.canReceive(alice, 'lobby'), true);
    assert.equal(acl.canPublish(bob, 'alice/x'), false);
    assert.equal(acl.canReceive(bob, 'alice/x'), true);
  });

  test('deny wins over an allow in the same scope', () => {
    assert.equal(acl.canPublish(alice, 'alice/secret/key'), false);
    assert.equal(acl.canReceive(alice, 'alice/secret/key'), false);
    assert.equal(acl.canSubscribe(alice, 'alice/secret/#'), false);
    // A broader subscription is allowed; the per-delivery check filters the denied topics.
    assert.equal(acl.canSubscribe(alice, 'alice/#'), true);
  });

  test('patterns apply to every client with %c and %u substituted', () => {
    assert.equal(acl.canSubscribe(alice, 'devices/dev-1/in/#'), true);
    assert.equal(acl.canSubscribe(alice, 'devices/dev-2/in/#'), false);
    assert.equal(acl.canReceive(anon, 'devices/anon-1/in/x'), true);
    assert.equal(acl.canPublish(bob, 'users/bob/out'), true);
    assert.equal(acl.canPublish(alice, 'users/bob/out'), false);
    // %u never matches a client without a username.
    assert.equal(acl.canPublish(anon, 'users//out'), false);
  });

  test('wildcards in a client id or username never widen a pattern', () => {
    assert.equal(expandPattern('devices/%c/in', { clientId: '#' }), undefined);
    assert.equal(expandPattern('users/%u', { clientId: 'x', username: 'a+b' }), undefined);
    assert.equal(expandPattern('users/%u/x%c', { clientId: 'c', username: 'u' }), 'users/u/x%c');
    assert.equal(acl.canSubscribe({ clientId: '#' }, 'devices/#'), false);
  });

  test('anything no rule allows is denied', () => {
    assert.equal(acl.canPublish(alice, 'other'), false);
    assert.equal(acl.canSubscribe({ clientId: 'z', username: 'carol' }, '#'), false);
  });

  test('syntax errors cite the line', () => {
    assert.throws(
      () => parseAclFile('topic\n', 'acl'),
      (err) => err instanceof AuthFileError && /line 1/.test(err.message),
    );
    assert.throws(() => parseAclFile('\ntopic readonly a/b\n', 'acl'), /line 2: access must be/);
    assert.throws(() => parseAclFile('topic read\n', 'acl'), /line 1: missing topic/);
    assert.throws(() => parseAclFile('group admins\n', 'acl'), /unknown keyword "group"/);
  });

  test('topics may contain spaces after an explicit access word', () => {
    const spaced = new AclAuthorizer(parseAclFile('user u\ntopic write room 1/light\n', 'acl'));
    assert.equal(spaced.canPublish({ clientId: 'c', username: 'u' }, 'room 1/light'), true);
  });
});
