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
      `  health, metrics   ${hub.url}/readyz  ${hub.url}/metrics`,
      `  NATS              ${hub.natsUrl}${nats}`,
      `  admin token       ${token}`,
      `  egress allowed    ${hub.egressAllow.length > 0 ? hub.egressAllow.join(', ') : '(public addresses only)'}`,
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
