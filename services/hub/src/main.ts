import { createLogger, closeOnSignals, loadConfig } from '@switchyard/kernel';
import { HubEnv } from './config.js';
import { startHub } from './hub.js';

const logger = createLogger({ name: 'switchyard', level: process.env.LOG_LEVEL ?? 'info' });
try {
  const config = loadConfig(HubEnv);
  const hub = await startHub(config, logger);
  // The banner names where secrets are kept, never the secrets: terminals are recorded and logs shipped.
  const token = hub.adminTokenPath ? `in ${hub.adminTokenPath}   (cat it; 0600)` : '(from SWITCHYARD_ADMIN_TOKEN)';
  const nats = hub.embeddedNats
    ? `   (embedded, loopback only, user switchyard, password in ${hub.natsPasswordPath}; JetStream in ${config.SWITCHYARD_DATA_DIR}/nats${hub.natsEncrypted ? ', encrypted at rest' : ''})`
    : '';
  // A banner for the person at the terminal; structured logs continue as JSON lines.
  process.stdout.write(
    [
      '',
      'Switchyard is running',
      `  API and webhooks  ${hub.url}   (providers call ${hub.publicUrl}/webhooks/{provider}/{account})`,
      `  health, metrics   ${hub.url}/readyz  ${hub.url}/metrics   (bearer token ${config.SWITCHYARD_METRICS_TOKEN ? 'from SWITCHYARD_METRICS_TOKEN' : `in ${config.SWITCHYARD_DATA_DIR}/metrics-token`})`,
      `  NATS              ${hub.natsUrl}${nats}`,
      `  admin token       ${token}`,
      `  egress allowed    deliveries: public ${config.SWITCHYARD_EGRESS_ALLOW_HTTP ? 'http(s)' : 'https'}${hub.egressAllow.length > 0 ? ` + ${hub.egressAllow.join(', ')}` : ' only (a local receiver: SWITCHYARD_EGRESS_ALLOW=127.0.0.1:PORT)'}; provider calls: public ${config.SWITCHYARD_EGRESS_ALLOW_HTTP ? 'http(s)' : 'https'}${hub.providerEgressAllow.length > 0 ? ` + ${hub.providerEgressAllow.join(', ')}` : ' only'}`,
      '  Ctrl-C stops everything cleanly.',
      '',
      '',
    ].join('\n'),
  );
  closeOnSignals(logger, () => hub.close());
} catch (error) {
  logger.fatal({ err: error }, 'switchyard failed to start');
  process.exitCode = 1;
}
