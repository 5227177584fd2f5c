import { Gauge, type Registry } from 'prom-client';
import { packageVersion } from '../lib/version.js';

/** `devgate_build_info` (always 1, the facts in its labels) and `devgate_uptime_seconds`. */
export function registerProcessCollectors(registry: Registry): void {
  const build = new Gauge({
    name: 'devgate_build_info',
    help: 'devgate version and Node.js version of this process (always 1)',
    labelNames: ['version', 'node'],
    registers: [registry],
  });
  build.set({ version: packageVersion(), node: process.versions.node }, 1);
  new Gauge({
    name: 'devgate_uptime_seconds',
    help: 'Seconds since this process started',
    registers: [registry],
    collect(this: Gauge) {
      this.set(process.uptime());
    },
  });
}

/** Devices online now (platform presence), read at scrape time; absent in the plain broker. */
export function registerPresenceCollector(registry: Registry, onlineCount: () => number | undefined): void {
  new Gauge({
    name: 'devgate_devices_online',
    help: 'Devices online now (connected, or seen within their offline delay)',
    registers: [registry],
    collect(this: Gauge) {
      this.set(onlineCount() ?? 0);
    },
  });
}
