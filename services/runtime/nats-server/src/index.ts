/**
 * @switchyard/nats-server — starts a local nats-server with JetStream in its own process group: the
 * embedded default's server (the hub) and the real server every integration test runs against.
 */
export { freePort, natsServerVersion, portInUse, startNatsServer, type NatsServerAuth, type NatsServerHandle, type NatsServerOptions } from './nats-server.js';
