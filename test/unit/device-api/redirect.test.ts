import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redirectUri, sameRegion } from '../../../src/device-api/redirect.js';

test('spec §3.4 redirect URI in the scheme the client used, explicit port', () => {
  const home = 'https://fra1.example.com';
  assert.equal(redirectUri(home, 'tcp'), 'mqtt://fra1.example.com:1883');
  assert.equal(redirectUri(home, 'tls'), 'mqtts://fra1.example.com:8883');
  assert.equal(redirectUri(home, 'ws'), 'ws://fra1.example.com:80/mqtt');
  assert.equal(redirectUri(home, 'wss'), 'wss://fra1.example.com:443/mqtt');
  assert.equal(redirectUri('https://fra1.example.com:9443', 'wss'), 'wss://fra1.example.com:9443/mqtt');
  assert.equal(redirectUri('http://dev.example.com:8080', 'ws'), 'ws://dev.example.com:8080/mqtt');
  assert.equal(redirectUri('https://dev.example.com:9443', 'ws'), 'ws://dev.example.com:80/mqtt');
  assert.equal(redirectUri('https://[2001:db8::1]', 'tcp'), 'mqtt://[2001:db8::1]:1883');
  assert.equal(redirectUri('not a url', 'tcp'), undefined);
});

test('spec §7.3 the same host is the same region (no redirect loops)', () => {
  assert.equal(sameRegion('https://HERE.example.com:8443/x', 'https://here.example.com'), true);
  assert.equal(sameRegion('https://there.example.com', 'https://here.example.com'), false);
  assert.equal(sameRegion('garbage', 'https://here.example.com'), false);
});
