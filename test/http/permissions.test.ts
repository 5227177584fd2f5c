import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allows, ROUTE_PERMISSIONS } from '../../src/http/permissions.js';
import { openApiWorld } from '../helpers/http-api.js';
import { openOtaWorld } from '../helpers/ota-world.js';

/** Routes the console contract names that another part of the console registers. */
const CLASSIFIED_AHEAD = ['GET /api/v1/organization/device/live', 'GET /api/v1/organization/gateways'];

test('every Platform API route has a permission entry (a new route without one fails here)', async (t) => {
  const plain = await openApiWorld(t);
  const withOta = await openOtaWorld(t);
  const registered = new Set([...plain.app.platformApiRoutes, ...withOta.app.platformApiRoutes]);
  assert.ok(registered.size > 60, `walked ${registered.size} routes`);
  for (const route of registered) assert.ok(route in ROUTE_PERMISSIONS, `${route} has no permission entry`);
  for (const route of Object.keys(ROUTE_PERMISSIONS)) {
    assert.ok(registered.has(route) || CLASSIFIED_AHEAD.includes(route), `${route} is not a route`);
  }
});

test('role rules: Viewer only reads; every GET is readable by Staff except users and OAuth clients', () => {
  for (const [route, permission] of Object.entries(ROUTE_PERMISSIONS)) {
    const method = route.split(' ')[0];
    if (method !== 'GET') assert.equal(allows('viewer', permission), false, `${route} viewer`);
    const adminOnlyRead = /\/(users|oauth\/clients?)$/.test(route);
    if (method === 'GET') assert.equal(allows('staff', permission), !adminOnlyRead, `${route} staff`);
    if (/\/(template|oauth|user|create$)/.test(route) && method !== 'GET' && !route.includes('/device/'))
      assert.equal(permission, 'admin', `${route} is Admin only`);
    assert.equal(allows('admin', permission), true);
  }
});
