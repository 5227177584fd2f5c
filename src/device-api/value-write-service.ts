import { NotFoundError, ValidationError } from '../platform/errors.js';
import type { Datastream } from '../platform/model.js';
import type { Platform } from '../platform/platform.js';
import type { ValueWrite } from '../platform/services.js';
import { coerceJsonValue, formatValue } from '../platform/templates/value-typing.js';
import type { DownlinkService, ValueWriteService } from './types.js';

export interface ValueWriteDeps {
  readonly platform: Platform;
  readonly downlinks: DownlinkService;
}

/**
 * Values written by the platform (Platform API, device HTTP API, automations): validated all
 * first (spec §3.5), stored together, then sent to the device as `downlink/ds/NAME` (spec §3.6;
 * the device's own MQTT uplinks never come through here, so they are never echoed).
 */
export function createValueWriteService(deps: ValueWriteDeps): ValueWriteService {
  const { platform } = deps;
  return {
    async write(deviceId, writes) {
      const device = await platform.devices.byId(deviceId);
      const template = device === undefined ? undefined : platform.templates.byId(device.templateId);
      if (device === undefined || template === undefined)
        throw new NotFoundError(
          `Device with identifier ${deviceId} is not found or belong to another organization.`,
        );
      const checked: Array<{ ds: Datastream; write: ValueWrite }> = [];
      for (const w of writes) {
        const ds = template.datastreams.find((d) => d.id === w.dataStreamId);
        if (ds === undefined)
          throw new NotFoundError(`Data stream with identifier ${w.dataStreamId} is not found!`);
        // One typing for every JSON path (spec §3.5); the HTTP device API's texts are JSON strings.
        const result = coerceJsonValue(ds, w.value);
        if (!result.ok) throw new ValidationError(result.reason);
        const write = {
          dataStreamId: ds.id,
          value: result.value,
          ...(w.ts === undefined ? {} : { ts: w.ts }),
        };
        checked.push({ ds, write });
      }
      if (checked.length === 0) return;
      await platform.devices.writeValues(
        deviceId,
        checked.map((c) => c.write),
      );
      for (const { ds, write } of checked)
        deps.downlinks.publish(deviceId, `downlink/ds/${ds.name}`, formatValue(ds, write.value), 1);
    },
  };
}
