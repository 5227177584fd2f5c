import { NotFoundError, ValidationError } from '../errors.js';

// spec §5.8: name ≤ 64, redirect URLs ≤ 11.
const NAME_MAX = 64;
const REDIRECT_URLS_MAX = 11;
const URL_MAX = 2048;
const CONTROL = /\p{Cc}/u;

export function validateClientName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length === 0 || trimmed.length > NAME_MAX || CONTROL.test(trimmed)) {
    throw new ValidationError(`OAuth client name must be 1 to ${NAME_MAX} characters.`);
  }
  return trimmed;
}

export function validateRedirectUrls(urls: unknown): string[] {
  if (urls === undefined) return [];
  if (!Array.isArray(urls) || urls.length > REDIRECT_URLS_MAX) {
    throw new ValidationError(
      `OAuth client redirectUrls must be a list of at most ${REDIRECT_URLS_MAX} URLs.`,
    );
  }
  for (const url of urls) {
    if (typeof url !== 'string' || url.length > URL_MAX || !URL.canParse(url)) {
      throw new ValidationError('OAuth client redirectUrls must hold absolute URLs.');
    }
  }
  return [...urls];
}

/** spec §6.4: the same text for a missing client and one outside the caller's subtree. */
export function clientNotFound(id: number): NotFoundError {
  return new NotFoundError(
    `OAuth client with identifier ${id} is not found or belong to another organization.`,
  );
}
