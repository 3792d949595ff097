import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { buildConnector } from 'undici';
import { SwitchyardError } from '@switchyard/contracts';

/**
 * Address ranges no outbound call may reach unless explicitly allowed: loopback, private, link-local
 * (cloud metadata lives at 169.254.169.254), CGNAT, multicast, reserved, unspecified, and their IPv6
 * counterparts. IPv4-mapped IPv6 addresses are checked as the IPv4 address they map.
 */
const BLOCKED: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
];

function toBlockList(cidrs: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList();
  for (const [address, prefix, family] of cidrs) list.addSubnet(address, prefix, family);
  return list;
}

/** Parses `10.0.0.0/8`, `127.0.0.1`, `::1/128` into block-list entries; throws on anything else. */
export function parseCidr(text: string): readonly [string, number, 'ipv4' | 'ipv6'] {
  const [address = '', prefixText] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0) throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', `SWITCHYARD_EGRESS_ALLOW: '${text}' is not an address or CIDR`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new SwitchyardError('SWY_ERR_CONFIG_INVALID', `SWITCHYARD_EGRESS_ALLOW: bad prefix in '${text}'`);
  }
  return [address, prefix, version === 4 ? 'ipv4' : 'ipv6'];
}

/**
 * The one egress policy for every outbound call (deliveries, and later the request service and
 * enrichment). It judges resolved addresses, not host names, and {@link EgressPolicy.lookup} is handed
 * to the HTTP client so the address checked is the address connected to (no DNS-rebinding window).
 */
export class EgressPolicy {
  readonly #blocked = toBlockList(BLOCKED);
  readonly #allowed: BlockList;
  /** The allow-list as configured, for start-up messages. */
  readonly allowList: readonly string[];
  readonly #allowHttp: boolean;

  /**
   * @param allow CIDRs reachable despite the block list (`SWITCHYARD_EGRESS_ALLOW`).
   * @param options.allowHttp plain http to any destination; otherwise only to allowed CIDRs.
   */
  constructor(allow: readonly string[] = [], options: { allowHttp?: boolean } = {}) {
    this.allowList = allow;
    this.#allowed = toBlockList(allow.map(parseCidr));
    this.#allowHttp = options.allowHttp ?? false;
  }

  #explicitlyAllowed(address: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const ip = mapped?.[1] ?? address;
    return this.#allowed.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
  }

  /** Why an address is refused, or undefined when it may be reached. */
  refusal(address: string): string | undefined {
    let ip = address;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped?.[1]) ip = mapped[1];
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (isIP(ip) === 0) return `'${address}' is not an IP address`;
    if (this.#allowed.check(ip, family)) return undefined;
    if (this.#blocked.check(ip, family)) return `${address} is a loopback, private, link-local or reserved address (allow it with SWITCHYARD_EGRESS_ALLOW)`;
    return undefined;
  }

  /** Checks a URL's scheme and every address its host resolves to; throws `SWY_ERR_EGRESS_DENIED`. */
  async assertUrlAllowed(url: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SwitchyardError('SWY_ERR_EGRESS_DENIED', `'${url}' is not a URL`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new SwitchyardError('SWY_ERR_EGRESS_DENIED', `scheme ${parsed.protocol} is not allowed; use https`);
    }
    if (parsed.username || parsed.password) {
      throw new SwitchyardError('SWY_ERR_EGRESS_DENIED', 'credentials in the URL are not allowed; use headers');
    }
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : await resolveAll(host);
    for (const address of addresses) {
      const reason = this.refusal(address);
      if (reason) throw new SwitchyardError('SWY_ERR_EGRESS_DENIED', `${parsed.hostname}: ${reason}`);
    }
    // Plain http leaks the signed payload to the network; allow it only where the operator said so.
    if (parsed.protocol === 'http:' && !this.#allowHttp && !addresses.every((a) => this.#explicitlyAllowed(a))) {
      throw new SwitchyardError('SWY_ERR_EGRESS_DENIED', `${parsed.hostname}: https is required (or set SWITCHYARD_EGRESS_ALLOW_HTTP=true)`);
    }
  }

  /**
   * A `dns.lookup`-compatible function that refuses disallowed addresses. Pass it to the socket
   * connector so the policy holds for the address actually connected to.
   */
  readonly lookup = (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      for (const entry of list) {
        const reason = this.refusal(entry.address);
        if (reason) {
          const denied = Object.assign(new Error(`egress denied: ${hostname}: ${reason}`), { code: 'SWY_ERR_EGRESS_DENIED' });
          return callback(denied, []);
        }
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

async function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, addresses) => {
      if (error) reject(new SwitchyardError('SWY_ERR_EGRESS_DENIED', `${host} does not resolve`, { cause: error }));
      else resolve(addresses.map((a) => a.address));
    });
  });
}

/**
 * An undici connector that enforces the policy at connect time: names resolve through the policy's
 * `lookup`, and IP-literal hosts (for which Node skips `lookup`) are judged here. Every outbound
 * client (deliveries, provider calls, the proxy) connects through one of these.
 */
export function egressConnector(policy: EgressPolicy, timeoutMs: number): buildConnector.connector {
  const base = buildConnector({ lookup: policy.lookup as never, timeout: Math.min(timeoutMs, 10_000) });
  return (options, callback) => {
    const host = options.hostname.replace(/^\[|\]$/g, '');
    const reason = isIP(host) ? policy.refusal(host) : undefined;
    if (reason) return callback(Object.assign(new Error(`egress denied: ${reason}`), { code: 'SWY_ERR_EGRESS_DENIED' }), null);
    return base(options, callback);
  };
}
