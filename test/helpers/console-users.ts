import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Organization, Role, User } from '../../src/platform/model.js';
import { type ApiWorld, openApiWorld, type WorldOptions } from './http-api.js';
import { callerFor } from './platform.js';

export const PASSWORD = 'correct horse battery';

/** A signed-in console session: the cookie header to send and the CSRF token writes need. */
export interface ConsoleSession {
  readonly user: User;
  readonly cookie: string;
  readonly csrfToken: string;
  /** Headers of a write: cookie and CSRF token (`org` adds X-Devgate-Org). */
  writeHeaders(org?: Organization): Record<string, string>;
  readHeaders(org?: Organization): Record<string, string>;
}

/** The world of test/helpers/http-api.ts plus console users made directly through the service. */
export interface ConsoleWorld extends ApiWorld {
  addUser(email: string, role: Role, org: Organization): Promise<User>;
  signIn(user: User, password?: string): Promise<ConsoleSession>;
}

export function sessionCookieOf(response: LightMyRequestResponse): string | undefined {
  return response.cookies.find((c) => c.name === 'devgate_session')?.value;
}

export async function openConsoleWorld(t: TestContext, options: WorldOptions = {}): Promise<ConsoleWorld> {
  const world = await openApiWorld(t, options);
  const addUser = (email: string, role: Role, org: Organization) =>
    world.platform.users.create(callerFor(org.id), { email, password: PASSWORD, role, orgId: org.id });
  const signIn = async (user: User, password = PASSWORD): Promise<ConsoleSession> => {
    const response = await world.call({
      method: 'POST',
      url: '/api/v1/session/login',
      payload: { email: user.email, password },
    });
    assert.equal(response.statusCode, 200, response.body);
    const cookie = sessionCookieOf(response);
    assert.ok(cookie !== undefined);
    const { csrfToken } = response.json() as { csrfToken: string };
    const readHeaders = (org?: Organization): Record<string, string> => ({
      cookie: `devgate_session=${cookie}`,
      ...(org === undefined ? {} : { 'x-devgate-org': String(org.id) }),
    });
    return {
      user,
      cookie,
      csrfToken,
      readHeaders,
      writeHeaders: (org) => ({ ...readHeaders(org), 'x-csrf-token': csrfToken }),
    };
  };
  return { ...world, addUser, signIn };
}
