/** A password or ACL file that cannot be used; the message names the file and line, never a secret. */
export class AuthFileError extends Error {
  readonly code = 'AUTH_FILE_INVALID';

  constructor(
    readonly file: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${message}`, options);
    this.name = 'AuthFileError';
  }
}
