import { describe, expect, it } from 'vitest';
import { BlockedEndpointError, endpointRefusal, isBlockedEndpoint, literalAddressOf, nonPublicKind, publicOnlyLookup } from './endpoint-address';

describe('nonPublicKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'unspecified, loopback or IPv4-compatible'],
    ['10.0.0.1', 'private (RFC 1918)'],
    ['172.16.0.1', 'private (RFC 1918)'],
    ['172.31.255.254', 'private (RFC 1918)'],
    ['192.168.0.1', 'private (RFC 1918)'],
    ['fc00::1', 'unique local (private)'],
    ['fdff:ffff::1', 'unique local (private)'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified, loopback or IPv4-compatible'],
    ['100.64.0.1', 'shared carrier-grade NAT (RFC 6598)'],
    ['100.127.255.254', 'shared carrier-grade NAT (RFC 6598)'],
    ['224.0.0.1', 'multicast or reserved'],
    ['255.255.255.255', 'multicast or reserved'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private (RFC 1918)'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:100.64.0.1', 'shared carrier-grade NAT (RFC 6598)'],
  ])('names %s %s', (ip, kind) => {
    expect(nonPublicKind(ip)).toBe(kind);
  });

  it.each(['8.8.8.8', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '192.169.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', 'fec0::1'])(
    'takes %s for a public address',
    (ip) => {
      expect(nonPublicKind(ip)).toBeUndefined();
    },
  );
});

describe('literalAddressOf', () => {
  it('reads IPv4 and bracketed IPv6 hosts, as the URL parser normalises them', () => {
    expect(literalAddressOf(new URL('https://2130706433/x'))).toBe('127.0.0.1');
    expect(literalAddressOf(new URL('https://[::ffff:127.0.0.1]/x'))).toBe('::ffff:7f00:1');
    expect(literalAddressOf(new URL('https://fcm.googleapis.com/x'))).toBeUndefined();
  });
});

describe('endpointRefusal', () => {
  it('refuses http and literal non-public hosts only when private networks are not allowed', () => {
    expect(endpointRefusal(new URL('http://127.0.0.1:9/x'), { allowPrivateNetworks: true })).toBeUndefined();
    expect(endpointRefusal(new URL('http://push.example/x'), { allowPrivateNetworks: false })).toBe('must be an https URL');
    expect(endpointRefusal(new URL('https://[fe80::1]/x'), { allowPrivateNetworks: false })).toBe('must not name a link-local address');
    expect(endpointRefusal(new URL('https://fcm.googleapis.com/x'), { allowPrivateNetworks: false })).toBeUndefined();
  });
});

describe('publicOnlyLookup', () => {
  const lookup = (host: string, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      publicOnlyLookup(host, { all }, (err, address) => resolve({ err, address })),
    );

  it('fails with BlockedEndpointError for a name that resolves only to loopback, in both of net\'s shapes', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup('localhost', all);
      expect(err).toBeInstanceOf(BlockedEndpointError);
      expect(isBlockedEndpoint(err)).toBe(true);
      expect(err!.message).toMatch(/^refused to contact localhost \((127\.0\.0\.1|::1)\): a .*loopback/);
    }
  });

  it('passes a public literal through, as dns.lookup would', async () => {
    expect(await lookup('8.8.8.8', false)).toEqual({ err: null, address: '8.8.8.8' });
    expect(await lookup('8.8.8.8', true)).toEqual({ err: null, address: [{ address: '8.8.8.8', family: 4 }] });
  });
});
