import { isIP, BlockList } from 'node:net';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/** `10.0.0.0/8`, `2001:db8::/32` or a single address. */
export function parseCidr(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address, prefixText, extra] = value.split('/');
  const version = isIP(address ?? '');
  if (!version || extra !== undefined) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export const IsCidr = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isCidr',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseCidr(value) !== null,
        defaultMessage: () => '$property must hold CIDR blocks such as 10.0.0.0/8',
      },
    },
    options,
  );

/** Whether `ip` (as the socket reports it, IPv4-mapped IPv6 included) is inside one of the blocks. */
export function ipAllowed(ip: string, cidrs: readonly string[]): boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  return isIP(address) !== 0 && list.check(address, family);
}

/** Whether the block `cidr` lies wholly inside one of the blocks `within` (a token may only narrow its parent's allowlist). */
export function cidrWithin(cidr: string, within: readonly string[]): boolean {
  const block = parseCidr(cidr);
  return (
    block !== null &&
    within.some((outer) => {
      const parent = parseCidr(outer);
      return parent !== null && parent.family === block.family && block.prefix >= parent.prefix && ipAllowed(block.address, [outer]);
    })
  );
}
