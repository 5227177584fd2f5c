import type { Logger } from 'pino';
import type { ProtocolVersion } from '../mqtt/codec/packet.js';
import { ReasonCode } from '../mqtt/codec/reason-codes.js';

/**
 * One info line per accepted CONNECT, per refused login and per ended connection (operators'
 * audit trail, like mosquitto's). Per connection, never per message: each line is a handful of
 * scalar fields. Never a password, token or topic: a device token travels as the password, and a
 * gateway topic (`dev/{token}/…`) holds one.
 */
export class ConnectionLog {
  /** `logger` undefined (`--no-log-connections`): every line is skipped before its fields are built. */
  constructor(private readonly logger: Logger | undefined) {}

  accepted(line: AcceptedLine): void {
    this.logger?.info(
      {
        clientId: line.clientId,
        username: line.username,
        remote: remoteOf(line.connection),
        transport: line.connection.transport,
        protocol: PROTOCOL_NAMES[line.protocolVersion],
        keepalive: line.keepalive,
        cleanStart: line.cleanStart,
        sessionExpiry: line.sessionExpiry,
        sessionPresent: line.sessionPresent,
      },
      'client connected',
    );
  }

  /** A CONNECT refused (credentials, throttle, quota, invalid CONNECT): answered with CONNACK ≠ 0. */
  refused(line: RefusedLine): void {
    this.logger?.info(
      {
        clientId: line.clientId,
        username: line.username,
        remote: remoteOf(line.connection),
        transport: line.connection.transport,
        reason: refusalReason(line.reasonCode),
        reasonCode: line.reasonCode,
        detail: line.detail,
      },
      'login refused',
    );
  }

  /** A connection that had been accepted ended; `end` says who ended it and why. */
  disconnected(line: DisconnectedLine): void {
    this.logger?.info(
      {
        clientId: line.clientId,
        username: line.username,
        remote: remoteOf(line.connection),
        reason: line.end.reason,
        reasonCode: line.end.reasonCode,
        detail: line.end.detail,
      },
      'client disconnected',
    );
  }
}

/**
 * What a log line shows of a connection. The broker's `ConnectionInfo` has this shape; declared
 * here so the logging layer does not import the broker (decision 0019).
 */
export interface LoggedConnection {
  readonly transport: string;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

export interface AcceptedLine {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly connection: LoggedConnection;
  readonly protocolVersion: ProtocolVersion;
  /** The keepalive in force (after Server Keep Alive), seconds. */
  readonly keepalive: number;
  readonly cleanStart: boolean;
  /** The granted session expiry interval, seconds (0xFFFFFFFF = never). */
  readonly sessionExpiry: number;
  readonly sessionPresent: boolean;
}

export interface RefusedLine {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly connection: LoggedConnection;
  readonly reasonCode: number;
  /** The error text (never holds the password: authenticators word their own refusals). */
  readonly detail: string | undefined;
}

/** Why a connection ended: the first cause recorded wins. */
export interface ConnectionEnd {
  readonly reason: string;
  /** Client DISCONNECT reason code, or the code the server sent. */
  readonly reasonCode?: number;
  readonly detail?: string;
}

export interface DisconnectedLine {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly connection: LoggedConnection;
  readonly end: ConnectionEnd;
}

const PROTOCOL_NAMES: Readonly<Record<ProtocolVersion, string>> = { 3: '3.1', 4: '3.1.1', 5: '5' };

/** `address:port`, IPv6 in brackets; undefined when the transport did not know it. */
export function remoteOf(connection: LoggedConnection): string | undefined {
  const { remoteAddress, remotePort } = connection;
  if (remoteAddress === undefined) return undefined;
  const host = remoteAddress.includes(':') ? `[${remoteAddress}]` : remoteAddress;
  return remotePort === undefined ? host : `${host}:${remotePort}`;
}

const REFUSAL_REASONS: ReadonlyMap<number, string> = new Map([
  [ReasonCode.BadUserNameOrPassword, 'bad credentials'],
  [ReasonCode.NotAuthorized, 'not authorized'],
  [ReasonCode.ConnectionRateExceeded, 'throttled'],
  [ReasonCode.QuotaExceeded, 'quota exceeded'],
  [ReasonCode.ServerBusy, 'server busy'],
  [ReasonCode.ServerUnavailable, 'server unavailable'],
  [ReasonCode.Banned, 'banned'],
  [ReasonCode.ClientIdentifierNotValid, 'client id not valid'],
  [ReasonCode.BadAuthenticationMethod, 'bad authentication method'],
  [ReasonCode.UseAnotherServer, 'use another server'],
  [ReasonCode.ServerMoved, 'server moved'],
  [ReasonCode.ImplementationSpecificError, 'internal error'],
]);

export function refusalReason(code: number): string {
  return REFUSAL_REASONS.get(code) ?? 'protocol error';
}

const SERVER_END_REASONS: ReadonlyMap<number, string> = new Map([
  [ReasonCode.KeepAliveTimeout, 'keepalive timeout'],
  [ReasonCode.SessionTakenOver, 'takeover'],
  [ReasonCode.ServerShuttingDown, 'server shutdown'],
  [ReasonCode.NotAuthorized, 'not authorized'],
  [ReasonCode.MessageRateTooHigh, 'message rate too high'],
  [ReasonCode.AdministrativeAction, 'administrative action'],
  [ReasonCode.UseAnotherServer, 'redirected'],
  [ReasonCode.ImplementationSpecificError, 'internal error'],
]);

/** The end of a connection the server closed with `code` (undefined: closed without DISCONNECT). */
export function serverEnd(code: number | undefined, detail: string | undefined): ConnectionEnd {
  const reason = code === undefined ? 'closed by server' : (SERVER_END_REASONS.get(code) ?? 'protocol error');
  return {
    reason,
    ...(code === undefined ? {} : { reasonCode: code }),
    ...(detail === undefined ? {} : { detail }),
  };
}

/** A client DISCONNECT packet (3.1.1 has no reason code: normal, 0). */
export function clientEnd(reasonCode: number | undefined): ConnectionEnd {
  return { reason: 'client disconnect', reasonCode: reasonCode ?? 0 };
}

export const TRANSPORT_CLOSED: ConnectionEnd = { reason: 'transport closed' };
