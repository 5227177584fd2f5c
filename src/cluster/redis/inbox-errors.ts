/**
 * Why the inbox could not keep a promise: `overflow` (a send was dropped: more than maxPending
 * were waiting), `refused` (Redis refused an append, e.g. out of memory), `closed` (the inbox
 * closed with sends still pending), `unreachable` (Redis did not answer in time).
 */
export type InboxErrorCode = 'overflow' | 'refused' | 'closed' | 'unreachable';

export class InboxError extends Error {
  readonly code: InboxErrorCode;

  constructor(code: InboxErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InboxError';
    this.code = code;
  }
}
