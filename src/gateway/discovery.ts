/**
 * Who may ask the discovery paths for a service's ready instances without a token.
 *
 * EAS serves `…/upstreams/<service>` only inside the VPC and without authentication;
 * the official SDKs' direct mode sends no Authorization header there
 * (eas-python-sdk `eas_prediction/predict_client.py`, `_sync_upstreams`;
 * eas-golang-sdk `service_discovery.go`). Pier answers the same way to clients on
 * loopback and private networks by default, and asks for the token from others.
 */

import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * - `open`: anyone may list a service's instances without a token.
 * - `private` (default): no token from loopback, RFC 1918, CGNAT, link-local and
 *   unique-local addresses; the service's token from everyone else.
 * - `token`: the service's token always (the SDKs' direct mode then cannot work).
 * - `off`: both discovery paths answer 404.
 */
export type DiscoveryMode = 'open' | 'private' | 'token' | 'off';

export const DISCOVERY_MODES: readonly DiscoveryMode[] = ['open', 'private', 'token', 'off'];

export function isDiscoveryMode(value: string): value is DiscoveryMode {
  return (DISCOVERY_MODES as readonly string[]).includes(value);
}

/** The ranges a VPC-internal caller comes from (RFC 1918, RFC 6598, RFC 4193, RFC 4291 §2.5.6). */
export function privateNetworks(): BlockList {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addSubnet('10.0.0.0', 8, 'ipv4');
  list.addSubnet('172.16.0.0', 12, 'ipv4');
  list.addSubnet('192.168.0.0', 16, 'ipv4');
  list.addSubnet('100.64.0.0', 10, 'ipv4');
  list.addSubnet('169.254.0.0', 16, 'ipv4');
  list.addAddress('::1', 'ipv6');
  list.addSubnet('fc00::', 7, 'ipv6');
  list.addSubnet('fe80::', 10, 'ipv6');
  return list;
}

/** The caller's socket address, with IPv4-mapped IPv6 (`::ffff:10.0.0.1`) unwrapped. */
function plainAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const mapped = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(mapped)) return { address: mapped, family: 'ipv4' };
  if (isIPv6(address)) return { address, family: 'ipv6' };
  return undefined;
}

/** Whether a discovery request from `remoteAddress` may go without a token. */
export function discoveryWithoutToken(
  mode: DiscoveryMode,
  remoteAddress: string | undefined,
  networks: BlockList,
): boolean {
  if (mode === 'open') return true;
  if (mode !== 'private' || remoteAddress === undefined) return false;
  const plain = plainAddress(remoteAddress);
  return plain !== undefined && networks.check(plain.address, plain.family);
}
