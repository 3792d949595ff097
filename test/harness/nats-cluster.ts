import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort, startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { eventually } from './wait.js';

/** Names of the three nodes. */
export type NodeName = 'n1' | 'n2' | 'n3';
const NAMES: readonly NodeName[] = ['n1', 'n2', 'n3'];

/** A 3-node JetStream cluster on loopback, each node in its own store dir under one temp dir. */
export interface TestNatsCluster {
  /** All three client URLs, comma-joined, as a service's `NATS_URL` lists them. */
  readonly url: string;
  /** The client URL of one node. */
  nodeUrl(name: NodeName): string;
  /** Names of the nodes currently running. */
  running(): NodeName[];
  /** Stops one node: `SIGKILL` as a crash would (no goodbye to the routes), `SIGTERM` gracefully. */
  kill(name: NodeName, signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts a stopped node again on its ports with its store: it rejoins and catches up. */
  restart(name: NodeName): Promise<void>;
  /** The node leading `stream`'s raft group (`$JS.API.STREAM.INFO` → cluster.leader), or undefined mid-election. */
  streamLeader(stream: string): Promise<string | undefined>;
  /** The leader of each consumer on `stream` (undefined mid-election); a consumer is its own raft group. */
  consumerLeaders(stream: string): Promise<Map<string, string | undefined>>;
  /**
   * Steps down the leaders of `stream`'s consumers until `node` leads each of them (a stepped-down
   * leader hands over to a random peer, so this may take a few rounds). Returns the consumers `node`
   * leads. For drills that kill one node and want every consumer on the path to lose its leader.
   */
  gatherConsumerLeaders(stream: string, node: NodeName): Promise<string[]>;
  /** The current JetStream meta leader, or undefined while there is none. */
  metaLeader(): Promise<string | undefined>;
  /** Stops every node and removes the temp dir. */
  close(): Promise<void>;
}

interface NodePorts {
  client: number;
  route: number;
  monitor: number;
}

/**
 * Starts nodes n1..n3 (cluster `swy-test`, routes to each other, monitoring on a free port each) and
 * resolves once JetStream has a meta leader, i.e. once the cluster answers JetStream API calls.
 */
export async function startTestNatsCluster(): Promise<TestNatsCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'swy-nats-cluster-'));
  const ports = {} as Record<NodeName, NodePorts>;
  for (const name of NAMES) ports[name] = { client: await freePort(), route: await freePort(), monitor: await freePort() };
  const nodes = new Map<NodeName, NatsServerHandle>();
  const extraConfig = (name: NodeName) =>
    [
      `server_name: ${name}`,
      `http_port: ${ports[name].monitor}`,
      'cluster {',
      '  name: swy-test',
      `  listen: 127.0.0.1:${ports[name].route}`,
      // Routes to the other two only (no self-route); gossip completes the mesh either way.
      `  routes: [${NAMES.filter((n) => n !== name).map((n) => `nats-route://127.0.0.1:${ports[n].route}`).join(', ')}]`,
      '}',
    ].join('\n');
  const start = async (name: NodeName) => {
    nodes.set(name, await startNatsServer({ storeDir: join(dir, name), port: ports[name].client, extraConfig: extraConfig(name) }));
  };

  // One client for cluster questions; it follows whichever node is up.
  let probe: NatsConnection | undefined;
  const close = async () => {
    await probe?.close().catch(() => undefined);
    await Promise.all([...nodes.values()].map((node) => node.stop(2_000)));
    nodes.clear();
    await rm(dir, { recursive: true, force: true });
  };

  const metaLeader = async (): Promise<string | undefined> => {
    for (const name of nodes.keys()) {
      const jsz = await fetch(`http://127.0.0.1:${ports[name].monitor}/jsz`, { signal: AbortSignal.timeout(1_000) })
        .then((r) => r.json() as Promise<{ meta_cluster?: { leader?: string } }>)
        .catch(() => undefined);
      if (jsz?.meta_cluster?.leader) return jsz.meta_cluster.leader;
    }
    return undefined;
  };

  try {
    await Promise.all(NAMES.map(start));
    await eventually('the JetStream meta leader', metaLeader, 60_000);
    const url = NAMES.map((n) => `nats://127.0.0.1:${ports[n].client}`).join(',');
    probe = await connect({ servers: url.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const jsm = await jetstreamManager(probe, { timeout: 1_000 });
    const consumerLeaders = async (stream: string) => {
      const leaders = new Map<string, string | undefined>();
      try {
        for await (const info of jsm.consumers.list(stream)) leaders.set(info.name, info.cluster?.leader || undefined);
      } catch {
        // Mid-election the listing may time out: the caller asks again.
      }
      return leaders;
    };
    return {
      url,
      nodeUrl: (name) => `nats://127.0.0.1:${ports[name].client}`,
      running: () => [...nodes.keys()],
      kill: async (name, signal = 'SIGKILL') => {
        const node = nodes.get(name);
        if (!node) return;
        nodes.delete(name);
        if (signal === 'SIGKILL') await node.kill();
        else await node.stop();
      },
      restart: async (name) => {
        if (!nodes.has(name)) await start(name);
      },
      streamLeader: async (stream) => {
        const info = await jsm.streams.info(stream).catch(() => undefined);
        return info?.cluster?.leader || undefined;
      },
      consumerLeaders,
      gatherConsumerLeaders: async (stream, node) => {
        for (let round = 0; round < 30; round++) {
          const leaders = await consumerLeaders(stream);
          const elsewhere = [...leaders].filter(([, leader]) => leader !== node).map(([name]) => name);
          if (elsewhere.length === 0) return [...leaders.keys()];
          for (const name of elsewhere) await probe!.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${stream}.${name}`, '', { timeout: 2_000 }).catch(() => undefined);
          await eventually('consumer leaders after a step-down', async () => [...(await consumerLeaders(stream)).values()].every((leader) => leader !== undefined), 30_000);
        }
        return [...(await consumerLeaders(stream))].filter(([, leader]) => leader === node).map(([name]) => name);
      },
      metaLeader,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
