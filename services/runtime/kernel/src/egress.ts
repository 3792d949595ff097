import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { buildConnector } from 'undici';
import { SwitchyardError } from '@switchyard/contracts';
import { canonicalIp, isBlockedAddress, type Family } from './egress-ranges.js';

/** One allow-list entry: a CIDR, and the one port it is open on (every port when unset). */
export interface AllowEntry {
  readonly address: string;
  readonly prefix: number;
  readonly family: Family;
  readonly port?: number;
}

function invalid(setting: string, detail: string): SwitchyardError {
  return new SwitchyardError('SWY_ERR_CONFIG_INVALID', `${setting}: ${detail}`);
}

/** Parses `10.0.0.0/8`, `127.0.0.1`, `::1/128` into block-list entries; throws on anything else. */
export function parseCidr(text: string, setting = 'SWITCHYARD_EGRESS_ALLOW'): readonly [string, number, Family] {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) throw invalid(setting, `'${text}' is not an address or CIDR`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d*$/.test(prefixText ?? '') || !Number.isInteger(prefix) || prefix < 0 || prefix > max) throw invalid(setting, `bad prefix in '${text}'`);
  return [address, prefix, version === 4 ? 'ipv4' : 'ipv6'];
}

/**
 * Parses one allow-list entry: a CIDR optionally followed by one port — `127.0.0.1:8080`,
 * `10.0.0.0/8:443`, `[::1]:8080`, `[fd00::/8]:443` (IPv6 in brackets when a port follows).
 */
export function parseAllowEntry(text: string, setting = 'SWITCHYARD_EGRESS_ALLOW'): AllowEntry {
  const entry = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  const v4port = /^(\d+\.\d+\.\d+\.\d+(?:\/\d+)?):(.*)$/.exec(entry);
  const [cidrText, portText] = bracketed ? [bracketed[1]!, bracketed[2]] : v4port ? [v4port[1]!, v4port[2]] : [entry, undefined];
  const [address, prefix, family] = parseCidr(cidrText, setting);
  if (portText === undefined) return { address, prefix, family };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw invalid(setting, `bad port in '${text}'`);
  return { address, prefix, family, port };
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/**
 * One egress policy: which destinations one kind of outbound call may reach. The hub keeps two —
 * deliveries to customer endpoints (`SWITCHYARD_EGRESS_ALLOW`) and calls to providers
 * (`SWITCHYARD_PROVIDER_EGRESS_ALLOW`: base URLs, the proxy, unified calls, token endpoints) — so an
 * exception for a local receiver never lets a tenant point a provider's `base_url` at it. It judges
 * resolved addresses and ports, not host names, and its lookup is handed to the HTTP client so the
 * address checked is the address connected to (no DNS-rebinding window).
 */
export class EgressPolicy {
  /** Entries open on every port. */
  readonly #anyPort = new BlockList();
  /** Entries open on one port, by port. */
  readonly #byPort = new Map<number, BlockList>();
  /** The allow-list as configured, for start-up messages. */
  readonly allowList: readonly string[];
  /** The setting the allow-list came from, named in refusals so the operator knows what to change. */
  readonly setting: string;
  readonly #allowHttp: boolean;

  /**
   * @param allow entries reachable despite the block list, each `CIDR` or `CIDR:port` ({@link parseAllowEntry}).
   * @param options.allowHttp plain http to any destination; otherwise only to allowed entries.
   * @param options.setting the environment variable `allow` came from (messages name it).
   */
  constructor(allow: readonly string[] = [], options: { allowHttp?: boolean; setting?: string } = {}) {
    this.allowList = allow;
    this.setting = options.setting ?? 'SWITCHYARD_EGRESS_ALLOW';
    this.#allowHttp = options.allowHttp ?? false;
    for (const text of allow) {
      const entry = parseAllowEntry(text, this.setting);
      let list = this.#anyPort;
      if (entry.port !== undefined) {
        list = this.#byPort.get(entry.port) ?? new BlockList();
        this.#byPort.set(entry.port, list);
      }
      list.addSubnet(entry.address, entry.prefix, entry.family);
    }
  }

  /** The same block list without any exception (what a destination must pass to be "public"). */
  withoutExceptions(): EgressPolicy {
    return new EgressPolicy([], { allowHttp: this.#allowHttp, setting: this.setting });
  }

  #explicitlyAllowed(address: string, port: number | undefined): boolean {
    const ip = canonicalIp(address);
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (this.#anyPort.check(ip, family)) return true;
    return port !== undefined && (this.#byPort.get(port)?.check(ip, family) ?? false);
  }

  /**
   * Why an address (and port, when known) is refused, or undefined when it may be reached. Without a
   * port, only entries open on every port count.
   */
  refusal(address: string, port?: number): string | undefined {
    if (isIP(canonicalIp(address)) === 0) return `'${address}' is not an IP address`;
    if (this.#explicitlyAllowed(address, port)) return undefined;
    if (isBlockedAddress(address)) {
      const where = port === undefined ? address : `${address} port ${port}`;
      return `${where} is a loopback, private, link-local or reserved address (allow it with ${this.setting})`;
    }
    return undefined;
  }

  /** Whether an address is reachable only because an allow-list entry makes an exception for it. */
  isException(address: string, port: number): boolean {
    return isBlockedAddress(address) && this.#explicitlyAllowed(address, port);
  }

  /**
   * Whether a URL's host resolves to any address reachable only by an exception (a loopback or private
   * destination the operator listed). Callers keep less of such responses: they may be internal.
   * Unparseable or unresolvable URLs count as exceptions (the cautious answer).
   */
  async reachesException(url: string): Promise<boolean> {
    try {
      const parsed = new URL(url);
      const port = parsed.port ? Number(parsed.port) : defaultPort(parsed.protocol);
      const host = parsed.hostname.replace(/^\[|\]$/g, '');
      const addresses = isIP(host) ? [host] : await resolveAll(host);
      return addresses.some((a) => this.isException(a, port));
    } catch {
      return true;
    }
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
    const port = parsed.port ? Number(parsed.port) : defaultPort(parsed.protocol);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : await resolveAll(host);
    for (const address of addresses) {
      const reason = this.refusal(address, port);
      if (reason) throw new SwitchyardError('SWY_ERR_EGRESS_DENIED', `${parsed.hostname}: ${reason}`);
    }
    // Plain http leaks the signed payload to the network; allow it only where the operator said so.
    if (parsed.protocol === 'http:' && !this.#allowHttp && !addresses.every((a) => this.#explicitlyAllowed(a, port))) {
      throw new SwitchyardError('SWY_ERR_EGRESS_DENIED', `${parsed.hostname}: https is required (or set SWITCHYARD_EGRESS_ALLOW_HTTP=true)`);
    }
  }

  /**
   * A `dns.lookup`-compatible function that refuses disallowed addresses for connections to `port`.
   * Pass it to the socket connector so the policy holds for the address actually connected to.
   */
  lookupFor(port?: number) {
    return (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        const list = addresses as LookupAddress[];
        for (const entry of list) {
          const reason = this.refusal(entry.address, port);
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

  /** {@link lookupFor} without a port: only entries open on every port count. */
  readonly lookup = this.lookupFor();
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
 * lookup for the port connected to, and IP-literal hosts (for which Node skips `lookup`) are judged
 * here. Every outbound client (deliveries, provider calls, the proxy) connects through one of these.
 */
export function egressConnector(policy: EgressPolicy, timeoutMs: number): buildConnector.connector {
  // The lookup must know the port; a connector per port keeps each one's TLS session cache.
  const byPort = new Map<number, buildConnector.connector>();
  return (options, callback) => {
    const port = options.port ? Number(options.port) : defaultPort(options.protocol);
    const host = options.hostname.replace(/^\[|\]$/g, '');
    const reason = isIP(host) ? policy.refusal(host, port) : undefined;
    if (reason) return callback(Object.assign(new Error(`egress denied: ${reason}`), { code: 'SWY_ERR_EGRESS_DENIED' }), null);
    let base = byPort.get(port);
    if (!base) {
      base = buildConnector({ lookup: policy.lookupFor(port) as never, timeout: Math.min(timeoutMs, 10_000) });
      byPort.set(port, base);
    }
    return base(options, callback);
  };
}
