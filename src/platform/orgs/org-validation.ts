import { NotFoundError, ValidationError } from '../errors.js';
import { type Address, OrgType } from '../model.js';
import type { OrgInput } from '../services.js';

// spec §5.1: name 3–100 chars of letters, digits, spaces, dots, hyphens, apostrophes.
const NAME = /^[\p{L}\p{M}\p{Nd} .'-]{3,100}$/u;
// spec §5.1: description ≤ 1000 without / \ < >.
const DESCRIPTION_FORBIDDEN = /[/\\<>]/;
const DESCRIPTION_MAX = 1000;
// IANA zone names: `UTC`, `Europe/Kyiv`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`.
const TZ_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
// spec §5.1: phone number `+…`; E.164 allows up to 15 digits. Spaces, hyphens, parentheses tolerated.
const PHONE = /^\+[0-9][0-9 ()-]*$/;
const ADDRESS_KEYS = ['fullAddress', 'city', 'country', 'state', 'zip'] as const;
const ADDRESS_FIELD_MAX = 255;
const CONTROL = /\p{Cc}/u;
const ORG_TYPES = new Set<string>(Object.values(OrgType));

export function validateOrgName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (!NAME.test(trimmed) || !/[\p{L}\p{Nd}]/u.test(trimmed)) {
    throw new ValidationError(
      'Organization name must be 3 to 100 characters of letters, digits, spaces, dots, hyphens and apostrophes.',
    );
  }
  return trimmed;
}

export function validateDescription(description: unknown): string {
  if (typeof description !== 'string' || description.length > DESCRIPTION_MAX) {
    throw new ValidationError(
      `Organization description must be text of at most ${DESCRIPTION_MAX} characters.`,
    );
  }
  if (DESCRIPTION_FORBIDDEN.test(description)) {
    throw new ValidationError('Organization description must not contain / \\ < or >.');
  }
  return description;
}

export function validateOrgType(type: unknown): OrgType {
  if (typeof type !== 'string' || !ORG_TYPES.has(type)) {
    throw new ValidationError(`Organization type must be one of ${[...ORG_TYPES].join(', ')}.`);
  }
  return type as OrgType;
}

/** True when the ICU time-zone database knows `tz` (IANA names and their aliases). */
export function isValidTimeZone(tz: string): boolean {
  if (!TZ_SHAPE.test(tz) || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function validateTz(tz: unknown): string {
  if (typeof tz !== 'string' || !isValidTimeZone(tz)) {
    throw new ValidationError('Organization tz must be an IANA time zone such as Europe/Kyiv.');
  }
  return tz;
}

export function validateUnitSystem(unitSystem: unknown): 'METRIC' | 'IMPERIAL' {
  if (unitSystem !== 'METRIC' && unitSystem !== 'IMPERIAL') {
    throw new ValidationError('Organization unitSystem must be METRIC or IMPERIAL.');
  }
  return unitSystem;
}

export function validatePhoneNumber(phone: unknown): string {
  const digits = typeof phone === 'string' ? phone.replace(/\D/g, '').length : 0;
  if (typeof phone !== 'string' || !PHONE.test(phone) || digits < 6 || digits > 15 || phone.length > 32) {
    throw new ValidationError('Organization phoneNumber must start with + followed by 6 to 15 digits.');
  }
  return phone;
}

export function validateAddress(address: unknown): Address {
  if (typeof address !== 'object' || address === null || Array.isArray(address)) {
    throw new ValidationError('Organization address must be an object.');
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(address)) {
    if (!(ADDRESS_KEYS as readonly string[]).includes(key)) {
      throw new ValidationError(`Organization address has an unknown field ${JSON.stringify(key)}.`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > ADDRESS_FIELD_MAX || CONTROL.test(value)) {
      throw new ValidationError(
        `Organization address.${key} must be text of at most ${ADDRESS_FIELD_MAX} characters.`,
      );
    }
    out[key] = value;
  }
  return out;
}

export function validateHomeRegionUrl(url: unknown): string {
  const parsed = typeof url === 'string' && URL.canParse(url) ? new URL(url) : undefined;
  if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new ValidationError('Organization homeRegionUrl must be an http(s) URL.');
  }
  return url as string;
}

/** The checked and normalized form of whichever OrgInput fields are present. */
export function validateOrgFields(input: Partial<OrgInput>): Partial<OrgInput> {
  const out: { -readonly [K in keyof OrgInput]?: OrgInput[K] } = {};
  if (input.name !== undefined) out.name = validateOrgName(input.name);
  if (input.description !== undefined) out.description = validateDescription(input.description);
  if (input.type !== undefined) out.type = validateOrgType(input.type);
  if (input.tz !== undefined) out.tz = validateTz(input.tz);
  if (input.unitSystem !== undefined) out.unitSystem = validateUnitSystem(input.unitSystem);
  if (input.phoneNumber !== undefined) out.phoneNumber = validatePhoneNumber(input.phoneNumber);
  if (input.address !== undefined) out.address = validateAddress(input.address);
  if (input.homeRegionUrl !== undefined) out.homeRegionUrl = validateHomeRegionUrl(input.homeRegionUrl);
  return out;
}

/** spec §5.1 type rules: ROOT only for the root; the child of a PERSONAL org is PERSONAL. */
export function checkTypeUnderParent(type: OrgType, parentType: OrgType | undefined): void {
  if (type === OrgType.Root) throw new ValidationError('Only the root organization has type ROOT.');
  if (parentType === OrgType.Personal && type !== OrgType.Personal) {
    throw new ValidationError('A sub-organization of a PERSONAL organization must be PERSONAL.');
  }
}

/** spec §5.1: at most `limit` levels, the root being level 1. */
export function checkDepth(level: number, limit: number): void {
  if (level > limit) throw new ValidationError(`Organizations can be nested at most ${limit} levels deep.`);
}

/** spec §6.4: the same text for a missing org and one outside the caller's subtree. */
export function orgNotFound(id: number): NotFoundError {
  return new NotFoundError(
    `Organization with identifier ${id} is not found or belong to another organization.`,
  );
}
