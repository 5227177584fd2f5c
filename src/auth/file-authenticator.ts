import type { Authenticator, AuthResult, ConnectRequest } from '../broker/auth.js';
import { ReasonCode } from '../mqtt/codec/reason-codes.js';
import type { PasswordTable } from './password-file.js';
import { verifyPassword } from './password-hash.js';

export interface FileAuthenticatorOptions {
  /** Clients that send no username may connect. */
  readonly allowAnonymous: boolean;
  /** When given, every client that sends a username must match an entry. */
  readonly passwords?: PasswordTable;
}

const badCredentials: AuthResult = { ok: false, reasonCode: ReasonCode.BadUserNameOrPassword };
const notAuthorized: AuthResult = { ok: false, reasonCode: ReasonCode.NotAuthorized };

/**
 * The plain broker's authentication, as mosquitto 2 does it:
 * - no username: accepted only with allowAnonymous (else 0x87 Not authorized / 3.1.1 rc 5);
 * - username and a password file: the password must verify (else 0x86 / 3.1.1 rc 4), even
 *   when anonymous clients are allowed;
 * - username and no password file: accepted (unverified) only with allowAnonymous.
 */
export class FileAuthenticator implements Authenticator {
  #passwords: PasswordTable | undefined;

  constructor(private readonly options: FileAuthenticatorOptions) {
    this.#passwords = options.passwords;
  }

  /** A reloaded password file: every later CONNECT is checked against it. */
  replacePasswords(passwords: PasswordTable): void {
    this.#passwords = passwords;
  }

  async authenticate(request: ConnectRequest): Promise<AuthResult> {
    const { clientId, username, password } = request;
    if (username === undefined) {
      return this.options.allowAnonymous ? { ok: true, identity: { clientId } } : notAuthorized;
    }
    const passwords = this.#passwords;
    if (passwords === undefined) {
      return this.options.allowAnonymous ? { ok: true, identity: { clientId, username } } : notAuthorized;
    }
    const hash = passwords.get(username);
    if (hash === undefined || password === undefined) return badCredentials;
    return (await verifyPassword(password, hash))
      ? { ok: true, identity: { clientId, username } }
      : badCredentials;
  }
}
