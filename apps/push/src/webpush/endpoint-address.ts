import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where the service must never POST a push outside development and test: this machine, the private networks
 * around it and the cloud's metadata server (SSRF). IPv4-mapped IPv6 forms (`::ffff:127.0.0.1`) match the IPv4
 * rules (net.BlockList checks them so).
 */
const NOT_ON_THE_INTERNET: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'ipv4', 'shared carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private (RFC 1918)'],
  ['192.168.0.0', 16, 'ipv4', 'private (RFC 1918)'],
  ['224.0.0.0', 3, 'ipv4', 'multicast or reserved'],
  // ::/96 holds the unspecified address, loopback and the deprecated IPv4-compatible forms.
  ['::', 96, 'ipv6', 'unspecified, loopback or IPv4-compatible'],
  ['fc00::', 7, 'ipv6', 'unique local (private)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const RULES = NOT_ON_THE_INTERNET.map(([network, prefix, family, kind]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, kind };
});

/** What kind of address `ip` is when it is not a public one, e.g. `loopback`; undefined for a public address. */
export function nonPublicKind(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return RULES.find((rule) => rule.list.check(ip, type))?.kind;
}

/** The error code of a push endpoint refused for its address: a permanent failure, never retried. */
export const BLOCKED_ENDPOINT = 'EPUSHBLOCKED';

/** An endpoint whose host is (or resolves only to) an address the service must not contact. */
export class BlockedEndpointError extends Error {
  override name = 'BlockedEndpointError';
  readonly code = BLOCKED_ENDPOINT;
  constructor(host: string, address: string, kind: string) {
    super(`refused to contact ${host === address ? address : `${host} (${address})`}: a ${kind} address`);
  }
}

/** True when `err` says the endpoint was refused for its address (whatever wrapped it on the way). */
export function isBlockedEndpoint(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === BLOCKED_ENDPOINT;
}

/** A URL's host as an address, if it is a literal one (`[::1]` → `::1`). */
export function literalAddressOf(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : undefined;
}

/**
 * `dns.lookup` that drops every non-public address from the answer, and fails with `BlockedEndpointError`
 * when none is left. Given to the socket itself (the agent's `lookup`), so the addresses checked are the ones
 * connected to: a name that resolves to a public address when checked and to 127.0.0.1 when used (DNS
 * rebinding) cannot get past it. Literal IP hosts skip any lookup, so the sender checks them itself.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  const wantsAll = (options as LookupAllOptions).all === true;
  dnsLookup(hostname, { ...(options as LookupOneOptions), all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, wantsAll ? [] : '');
    const allowed = addresses.filter((a) => nonPublicKind(a.address) === undefined);
    if (allowed.length === 0) {
      const first = addresses[0];
      const refused = new BlockedEndpointError(hostname, first?.address ?? hostname, (first && nonPublicKind(first.address)) ?? 'non-public');
      return callback(refused, wantsAll ? [] : '');
    }
    // The two shapes net asks for: every address (happy eyeballs), or one.
    if (wantsAll) return callback(null, allowed);
    return callback(null, allowed[0]!.address, allowed[0]!.family);
  });
};

/**
 * Why a browser's subscription endpoint cannot be accepted, or undefined. Outside development and test
 * (`allowPrivateNetworks` false) an endpoint must be https (Web Push endpoints are, RFC 8030 §8) and must not
 * name a non-public address literally; a host name is checked again on every connection.
 */
export function endpointRefusal(url: URL, options: { allowPrivateNetworks: boolean }): string | undefined {
  if (options.allowPrivateNetworks) return undefined;
  if (url.protocol !== 'https:') return 'must be an https URL';
  const literal = literalAddressOf(url);
  const kind = literal && nonPublicKind(literal);
  return kind ? `must not name a ${kind} address` : undefined;
}
