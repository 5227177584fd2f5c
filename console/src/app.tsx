import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { onUnauthorized, setActingOrg, setCsrfToken } from './api.js';
import { Link } from './components.js';
import { DevicePage } from './pages/device.js';
import { DevicesPage } from './pages/devices.js';
import { GatewaysPage } from './pages/gateways.js';
import { OAuthClientsPage } from './pages/oauth-clients.js';
import { OrganizationsPage } from './pages/organizations.js';
import { OtaPage } from './pages/ota.js';
import { SignInPage } from './pages/sign-in.js';
import { TemplatesPage } from './pages/templates.js';
import { UsersPage } from './pages/users.js';
import { navigate, useLocation } from './router.js';
import {
  can,
  currentSession,
  reachableOrgs,
  roleIn,
  type Session,
  SessionContext,
  signOutOnServer,
  useSession,
} from './session.js';
import type { Organization, SessionInfo } from './types.js';

const ORG_KEY = 'devgate.org';

type Phase = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'signed-in'; info: SessionInfo };

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const signedIn = useCallback((info: SessionInfo) => {
    setCsrfToken(info.csrfToken);
    setPhase({ kind: 'signed-in', info });
  }, []);
  useEffect(() => {
    onUnauthorized(() => setPhase({ kind: 'signed-out' }));
    currentSession().then((info) => (info === undefined ? setPhase({ kind: 'signed-out' }) : signedIn(info)));
  }, [signedIn]);
  if (phase.kind === 'loading') return <p class="loading">Loading…</p>;
  if (phase.kind === 'signed-out') return <SignInPage onSignedIn={signedIn} />;
  return <SignedIn info={phase.info} onSignOut={() => setPhase({ kind: 'signed-out' })} />;
}

function initialOrg(info: SessionInfo): number {
  const saved = Number(localStorage.getItem(ORG_KEY));
  const first = [...info.memberships].sort((a, b) => a.orgId - b.orgId)[0];
  return Number.isSafeInteger(saved) && saved > 0 ? saved : (first?.orgId ?? 0);
}

function SignedIn(props: { info: SessionInfo; onSignOut: () => void }) {
  const { info } = props;
  const [orgs, setOrgs] = useState<Organization[]>([]);
  const [orgId, setOrgId] = useState(() => initialOrg(info));
  const [orgsVersion, setOrgsVersion] = useState(0);
  // orgsVersion: a fresh read after an organization was created, renamed or deleted.
  useEffect(() => {
    reachableOrgs(info.memberships).then(setOrgs);
  }, [info, orgsVersion]);
  // A remembered org that is no longer reachable falls back to the first membership.
  const reachable = orgs.length === 0 || orgs.some((org) => org.id === orgId);
  const actingOrgId = reachable ? orgId : (info.memberships[0]?.orgId ?? orgId);
  setActingOrg(actingOrgId);
  const session: Session = useMemo(
    () => ({
      info,
      orgs,
      orgId: actingOrgId,
      role: roleIn(actingOrgId, info.memberships, orgs),
      chooseOrg: (id: number) => {
        localStorage.setItem(ORG_KEY, String(id));
        setActingOrg(id);
        setOrgId(id);
      },
      reloadOrgs: () => setOrgsVersion((n) => n + 1),
      signOut: () => {
        signOutOnServer().finally(props.onSignOut);
      },
    }),
    [info, orgs, actingOrgId, props.onSignOut],
  );
  return (
    <SessionContext.Provider value={session}>
      <Header />
      {/* Re-mount the pages when the org changes: everything they show depends on it. */}
      <main key={actingOrgId} class="page">
        <Routes />
      </main>
    </SessionContext.Provider>
  );
}

function Header() {
  const session = useSession();
  const { path } = useLocation();
  const links: Array<[string, string, boolean]> = [
    ['/devices', 'Devices', true],
    ['/templates', 'Templates', true],
    ['/gateways', 'Gateways', true],
    ['/ota', 'OTA', true],
    ['/oauth-clients', 'OAuth clients', can.manage(session.role)],
    ['/users', 'Users', can.manage(session.role)],
    ['/organizations', 'Organizations', can.manage(session.role)],
  ];
  return (
    <header class="top">
      <strong class="brand">devgate</strong>
      <nav aria-label="Main">
        {links
          .filter(([, , shown]) => shown)
          .map(([href, label]) => (
            <Link key={href} href={href} class={path.startsWith(href) ? 'active' : undefined}>
              {label}
            </Link>
          ))}
      </nav>
      <div class="who">
        <label>
          Organization
          <select
            value={String(session.orgId)}
            onChange={(e) => session.chooseOrg(Number(e.currentTarget.value))}
          >
            {(session.orgs.length > 0 ? session.orgs : session.info.memberships.map(membershipOrg)).map(
              (org) => (
                <option key={org.id} value={String(org.id)}>
                  {org.name}
                </option>
              ),
            )}
          </select>
        </label>
        <span class="user" title={`Role: ${session.role}`}>
          {session.info.user.email} ({session.role})
        </span>
        <button type="button" onClick={session.signOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}

function membershipOrg(m: { orgId: number; orgName: string }): Organization {
  return { id: m.orgId, name: m.orgName };
}

function Routes() {
  const { path } = useLocation();
  const device = /^\/devices\/(\d+)$/.exec(path);
  if (device !== null) return <DevicePage deviceId={Number(device[1])} />;
  if (path === '/' || path === '/devices') return <DevicesPage />;
  if (path === '/templates') return <TemplatesPage />;
  if (path === '/gateways') return <GatewaysPage />;
  if (path === '/ota') return <OtaPage />;
  if (path === '/oauth-clients') return <OAuthClientsPage />;
  if (path === '/users') return <UsersPage />;
  if (path === '/organizations') return <OrganizationsPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        Nothing at {path}.{' '}
        <button type="button" onClick={() => navigate('/devices')}>
          Go to devices
        </button>
      </p>
    </section>
  );
}
