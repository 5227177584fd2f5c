import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** One entry of an address list: an address (`10.0.0.5`, `::1`) or a CIDR block (`10.0.0.0/8`, `fd00::/8`). */
function addEntry(list: BlockList, entry: string): void {
  const [address = '', prefixText, extra] = entry.trim().split('/');
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : undefined;
  if (family === undefined || extra !== undefined) throw new Error(`not an address or CIDR block: ${entry}`);
  if (prefixText === undefined) {
    list.addAddress(address, family);
    return;
  }
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix <= (family === 'ipv4' ? 32 : 128))) throw new Error(`not an address or CIDR block: ${entry}`);
  list.addSubnet(address, prefix, family);
}

/** A set of addresses and CIDR blocks; throws on the first entry that is neither. */
export class AddressList {
  readonly #list = new BlockList();

  constructor(entries: readonly string[]) {
    for (const entry of entries) addEntry(this.#list, entry);
  }

  /** Whether `address` (IPv4-mapped IPv6 taken as its IPv4 address) is in the list. */
  has(address: string | undefined): boolean {
    if (address === undefined) return false;
    const mapped = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
    if (isIPv4(mapped)) return this.#list.check(mapped, 'ipv4');
    return isIPv6(address) && this.#list.check(address, 'ipv6');
  }
}
