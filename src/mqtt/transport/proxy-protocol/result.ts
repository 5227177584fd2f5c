/** One end of a proxied connection, as the header gives it. */
export interface ProxyEndpoint {
  /** Canonical text form (IPv4 dotted quad, IPv6 compressed as RFC 5952 writes it). */
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/**
 * A complete header. `source` is absent for `PROXY UNKNOWN`, v2 LOCAL (health checks from the
 * balancer itself) and v2 AF_UNSPEC: the receiver then uses the socket's own endpoints.
 */
export interface ProxyHeader {
  readonly version: 1 | 2;
  readonly source?: ProxyEndpoint;
  readonly destination?: ProxyEndpoint;
}

/** What the bytes received so far amount to. `consumed` bytes belong to the header; the rest to the client. */
export type ProxyParse =
  | { readonly status: 'incomplete' }
  | { readonly status: 'refused'; readonly reason: string }
  | { readonly status: 'complete'; readonly header: ProxyHeader; readonly consumed: number };

/** Longest v1 header, CRLF included (proxy-protocol.txt §2.1). */
export const MAX_V1_BYTES = 107;
/** Longest v2 header we accept: 16 fixed bytes + 520 of addresses and TLVs, one minimal TCP segment (536). */
export const MAX_V2_BYTES = 536;
/** A reader never needs to hold more than this before a verdict. */
export const MAX_PROXY_HEADER_BYTES = MAX_V2_BYTES;

export const INCOMPLETE: ProxyParse = { status: 'incomplete' };

export function refused(reason: string): ProxyParse {
  return { status: 'refused', reason };
}
