import { NotFoundError, ValidationError } from '../errors.js';
import { type Device, MetaFieldType, type Template } from '../model.js';
import { pageBounds } from '../orgs/paging.js';
import type { DeviceService } from '../services.js';
import type { DeviceContext } from './device-context.js';
import {
  deviceNotFound,
  found,
  maxEventDescription,
  timeWindow,
  validateDeviceName,
  validateProperty,
} from './device-rules.js';
import { validateMetaValue } from './meta-value.js';

type DeviceData = Pick<
  DeviceService,
  | 'writeValues'
  | 'eraseValue'
  | 'clearData'
  | 'currentValues'
  | 'history'
  | 'pruneHistory'
  | 'setProperty'
  | 'properties'
  | 'setMetaValue'
  | 'metaValues'
  | 'logEvent'
  | 'events'
>;

const dayMs = 86_400_000;

/**
 * Values, history, properties, metadata values and the event log (spec §5.3, §5.5–§5.7).
 * Methods without a Caller serve the device API, which has already authenticated the device and
 * validated the input; those with one check scope.
 */
export function deviceData(ctx: DeviceContext): DeviceData {
  const { stores } = ctx;
  const templateOf = (device: Device): Template | undefined => ctx.templates.byId(device.templateId);
  return {
    writeValues(deviceId, values) {
      // The store queues the write at call time: nothing may be awaited before it, so the device
      // API's deferred acknowledgements keep the order the values arrived in. (Not async: the
      // device API's hot path; a throw here still reaches the caller as a rejection.)
      try {
        const now = ctx.now();
        const points = values.map((v) => ({ dataStreamId: v.dataStreamId, value: v.value, ts: v.ts ?? now }));
        return stores.values.write(deviceId, points).then((stored) => {
          if (!stored) throw deviceNotFound(deviceId);
          // Accepted and durable: watchers of the device hear of it (one lookup when none).
          ctx.feed.values(deviceId, points);
        });
      } catch (err) {
        return Promise.reject(err);
      }
    },

    async eraseValue(deviceId, dataStreamId) {
      await stores.values.erase(deviceId, dataStreamId);
    },

    async clearData(caller, deviceId) {
      await ctx.scoped(caller, deviceId);
      // Properties go one by one: the attribute store's clear would take the metadata with them.
      const properties = await stores.attributes.properties(deviceId);
      await Promise.all([
        stores.values.clear(deviceId),
        stores.events.clear(deviceId),
        ...properties.map((p) => stores.attributes.setProperty(deviceId, p.dataStreamId, p.name, [])),
      ]);
      ctx.deps.logger.info({ deviceId, actor: caller.actor }, 'device data erased');
    },

    currentValues: (deviceId) => stores.values.current(deviceId),

    async history(caller, deviceId, query) {
      const window = pageBounds(query);
      const device = await ctx.scoped(caller, deviceId);
      const template = templateOf(device);
      if (template !== undefined && !template.datastreams.some((d) => d.id === query.dataStreamId)) {
        throw new NotFoundError(`Data stream with identifier ${query.dataStreamId} is not found!`);
      }
      return stores.values.history(deviceId, {
        dataStreamId: query.dataStreamId,
        ...timeWindow(query),
        ...window,
      });
    },

    async pruneHistory(now) {
      const removed = await stores.values.pruneBefore(now - ctx.deps.options.historyRetentionDays * dayMs);
      if (removed > 0) ctx.deps.logger.info({ removed }, 'history pruned');
      return removed;
    },

    async setProperty(deviceId, dataStreamId, name, values) {
      validateProperty(name, values);
      if (!(await stores.attributes.setProperty(deviceId, dataStreamId, name, values)))
        throw deviceNotFound(deviceId);
    },

    properties: (deviceId) => stores.attributes.properties(deviceId),

    async setMetaValue(deviceId, metaFieldId, value) {
      const device = await ctx.existing(deviceId);
      const field = templateOf(device)?.metaFields.find((f) => f.id === metaFieldId);
      if (field === undefined) throw new NotFoundError('Meta field is not found.');
      validateMetaValue(field, value);
      if (field.type === MetaFieldType.DeviceName) {
        // The Device Name field is the device's name.
        const name = validateDeviceName(value);
        await ctx.writeRows([deviceId], () => stores.devices.update(deviceId, { name }, ctx.now()));
        return;
      }
      if (!(await stores.attributes.setMetaValue(deviceId, metaFieldId, value)))
        throw deviceNotFound(deviceId);
    },

    async metaValues(deviceId) {
      const device = await ctx.existing(deviceId);
      const stored = new Map(
        (await stores.attributes.metaValues(deviceId)).map((m) => [m.metaFieldId, m.value]),
      );
      const fields = templateOf(device)?.metaFields ?? [];
      // spec §5.5: an unset field reads as its default.
      return fields.map((field) => ({
        metaFieldId: field.id,
        value:
          field.type === MetaFieldType.DeviceName
            ? device.name
            : (stored.get(field.id) ?? field.defaultValue ?? ''),
      }));
    },

    async logEvent(deviceId, eventId, description, ts) {
      if (typeof description !== 'string' || description.length > maxEventDescription) {
        throw new ValidationError(`Event description must be at most ${maxEventDescription} characters.`);
      }
      const device = await ctx.existing(deviceId);
      const event = templateOf(device)?.events.find((e) => e.id === eventId);
      if (event === undefined) throw new NotFoundError(`Event with identifier ${eventId} is not found.`);
      const record = { deviceId, eventId, code: event.code, description, ts: ts ?? ctx.now() };
      const logged = found(await stores.events.append(record), deviceId);
      ctx.feed.event(logged, event.type);
      return logged;
    },

    async events(caller, deviceId, query) {
      const window = pageBounds(query);
      await ctx.scoped(caller, deviceId);
      return stores.events.query(deviceId, { ...timeWindow(query), ...window });
    },
  };
}
