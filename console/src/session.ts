import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, get, post, setActingOrg, setCsrfToken } from './api.js';
import type { Membership, Organization, Page, Role, SessionInfo } from './types.js';

export interface Session {
  readonly info: SessionInfo;
  /** Every organization the user reaches: the membership orgs and their subtrees. */
  readonly orgs: readonly Organization[];
  readonly orgId: number;
  readonly role: Role;
  chooseOrg(orgId: number): void;
  /** Reads the reachable organizations again (after one was created, renamed or deleted). */
  reloadOrgs(): void;
  signOut(): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useSession outside a signed-in page');
  return session;
}

/** What a role may do (the server refuses the rest anyway; the console hides it). */
export const can = {
  write: (role: Role) => role !== 'viewer',
  manage: (role: Role) => role === 'admin',
};

export async function currentSession(): Promise<SessionInfo | undefined> {
  try {
    return await get<SessionInfo>('/api/v1/session');
  } catch {
    return undefined;
  }
}

export function signIn(email: string, password: string): Promise<SessionInfo> {
  return post<SessionInfo>('/api/v1/session/login', { email, password });
}

export async function signOutOnServer(): Promise<void> {
  try {
    await post('/api/v1/session/logout');
  } finally {
    setCsrfToken('');
    setActingOrg(undefined);
  }
}

/** The orgs of each membership's subtree (asked in that org), without duplicates. */
export async function reachableOrgs(memberships: readonly Membership[]): Promise<Organization[]> {
  const byId = new Map<number, Organization>();
  for (const membership of memberships) {
    const page = await fetchSubtree(membership.orgId);
    for (const org of page) byId.set(org.id, org);
    if (!byId.has(membership.orgId))
      byId.set(membership.orgId, { id: membership.orgId, name: membership.orgName });
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

async function fetchSubtree(orgId: number): Promise<Organization[]> {
  try {
    const page = await api<Page<Organization>>(
      'GET',
      '/api/v1/organization/list?size=1000',
      undefined,
      orgId,
    );
    return page.content;
  } catch {
    return [];
  }
}

/** The role in `orgId`: that of the nearest membership at or above it. */
export function roleIn(
  orgId: number,
  memberships: readonly Membership[],
  orgs: readonly Organization[],
): Role {
  const parents = new Map(orgs.map((org) => [org.id, org.parentOrganizationId ?? undefined]));
  let current: number | undefined = orgId;
  const seen = new Set<number>();
  while (current !== undefined && !seen.has(current)) {
    const membership = memberships.find((m) => m.orgId === current);
    if (membership !== undefined) return membership.role;
    seen.add(current);
    current = parents.get(current) ?? undefined;
  }
  return 'viewer';
}
