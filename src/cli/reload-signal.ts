import type { Logger } from '../observability/logger.js';
import type { DevgateServer } from '../server.js';

export interface HangupReload {
  /** From now on SIGHUP reloads this server's files. */
  serve(server: Pick<DevgateServer, 'reload'>): void;
}

/**
 * SIGHUP reloads the auth files and the TLS pair, as with mosquitto, instead of ending the
 * process (Node's default). Installed before start-up, so a HUP that arrives while the files
 * are being read the first time is ignored (they are current) rather than fatal.
 */
export function reloadOnHangup(logger: Logger): HangupReload {
  let serving: Pick<DevgateServer, 'reload'> | undefined;
  process.on('SIGHUP', () => {
    if (serving === undefined) {
      logger.info({ signal: 'SIGHUP' }, 'still starting: nothing to reload yet');
      return;
    }
    logger.info({ signal: 'SIGHUP' }, 'reloading the password, ACL and TLS files in use');
    serving.reload().catch((err: unknown) => logger.error({ err }, 'reload failed'));
  });
  return {
    serve: (server) => {
      serving = server;
    },
  };
}
