import { lookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ServiceError } from './errors.js';

/** Addresses a notification is not sent to unless PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE=true. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv6');
}

/** Whether an IP address is loopback, private, link-local or unspecified (IPv4-mapped included). */
function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return false;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const ALLOW = 'set PIPELINEJOBS_WEBHOOK_ALLOW_PRIVATE=true on the Manager to allow such targets';

/** Why a target's host is refused as it is written (a literal address, localhost); undefined: not. */
export function refusedHost(hostname: string, allowPrivate: boolean): string | undefined {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || !(isPrivateAddress(host) || host === 'localhost' || host.endsWith('.localhost'))) {
    return undefined;
  }
  return `The target ${host} is a loopback, private or link-local address; ${ALLOW}`;
}

/**
 * A subscription's target, checked when it is given: an http(s) URL without credentials, and
 * not a literal loopback, private or link-local address (nor `localhost`) unless allowed. A name
 * is checked again each time it is resolved for a delivery (`guardedLookup`).
 */
export function targetUrlInput(value: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ServiceError('invalid', `'${value.slice(0, 100)}' is not a URL: give an absolute http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ServiceError('invalid', `The target must be an http or https URL, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new ServiceError(
      'invalid',
      'The target URL must not carry a user name or password: the receiver checks the signature instead',
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (isPrivateAddress(host) || host === 'localhost' || host.endsWith('.localhost'))) {
    throw new ServiceError(
      'invalid',
      `The target ${host} is a loopback, private or link-local address; ${ALLOW}`,
    );
  }
  return url.href;
}

/**
 * A DNS lookup for the delivery's socket that refuses private addresses: checked on the address
 * the connection is made to, so a name that resolves elsewhere later (DNS rebinding) is refused.
 * (Node does not look up a literal address: refusedHost checks those.)
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const usable = allowPrivate ? addresses : addresses.filter((a) => !isPrivateAddress(a.address));
      const first = usable[0];
      if (!first) {
        const refused = new Error(
          `${hostname} resolves only to loopback, private or link-local addresses (${addresses.map((a) => a.address).join(', ')}); ${ALLOW}`,
        );
        return callback(refused as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: typeof usable) => void)(null, usable);
      callback(null, first.address, first.family);
    });
  };
}
