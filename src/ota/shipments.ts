import { ConflictError, NotFoundError, ValidationError } from '../platform/errors.js';
import type { Device, Page } from '../platform/model.js';
import { pageBounds } from '../platform/orgs/paging.js';
import type { Caller, PageRequest } from '../platform/services.js';
import type { Delivery } from './delivery.js';
import { initialStatus } from './delivery.js';
import type { FirmwareCatalog } from './firmware-catalog.js';
import { DeviceOtaStatus, type Shipment, ShipmentStatus } from './model.js';
import type { OtaDeps, ShipmentInput } from './types.js';

/** Devices per shipment (one request; larger rollouts are several shipments). */
export const MAX_SHIPMENT_DEVICES = 1000;
const MAX_NAME = 255;

export function shipmentNotFound(id: number): NotFoundError {
  return new NotFoundError(`Shipment with identifier ${id} is not found or belongs to another organization.`);
}

export interface Shipments {
  create(caller: Caller, input: ShipmentInput): Promise<Shipment>;
  get(caller: Caller, id: number): Promise<Shipment>;
  list(caller: Caller, page?: PageRequest): Promise<Page<Shipment>>;
  cancel(caller: Caller, id: number): Promise<Shipment>;
}

function checkInput(input: ShipmentInput): void {
  const { deviceIds, name } = input;
  if (deviceIds.length === 0 || deviceIds.length > MAX_SHIPMENT_DEVICES)
    throw new ValidationError(`A shipment needs 1 to ${MAX_SHIPMENT_DEVICES} devices.`);
  if (new Set(deviceIds).size !== deviceIds.length) throw new ValidationError('Device ids must be unique.');
  if (name !== undefined && (name.trim() === '' || name.length > MAX_NAME))
    throw new ValidationError(`Shipment name must be 1 to ${MAX_NAME} characters.`);
}

/** Shipments: one firmware to a set of devices in the caller's scope, with a status per device. */
export function shipments(deps: OtaDeps, catalog: FirmwareCatalog, delivery: Delivery): Shipments {
  const { store, platform, clock, logger } = deps;
  const get = async (caller: Caller, id: number): Promise<Shipment> => {
    const shipment = await store.shipment(id);
    if (shipment === undefined || !platform.orgs.isInScope(caller.orgId, shipment.orgId))
      throw shipmentNotFound(id);
    return shipment;
  };
  return {
    async create(caller, input) {
      checkInput(input);
      const firmware = await catalog.get(caller, input.firmwareId);
      // Each device must be in the caller's scope (NotFoundError otherwise, as everywhere).
      const devices: Device[] = [];
      for (const id of input.deviceIds) devices.push(await platform.devices.get(caller, id));
      const shipment = await store.createShipment({
        orgId: caller.orgId,
        firmwareId: firmware.id,
        name: input.name?.trim() ?? `${firmware.name} ${firmware.version ?? ''}`.trim(),
        createdAt: clock.now(),
        devices: devices.map((device) => ({
          deviceId: device.id,
          status: initialStatus(deps, firmware, device),
        })),
      });
      logger.info(
        { shipmentId: shipment.id, firmwareId: firmware.id, devices: devices.length },
        'ota: shipment started',
      );
      let offered = 0;
      for (const entry of shipment.devices) {
        if (entry.status !== DeviceOtaStatus.ProcessStarted) continue;
        if (await delivery.offerIfOnline({ shipmentId: shipment.id, deviceId: entry.deviceId }, firmware))
          offered++;
      }
      return offered === 0 ? shipment : get(caller, shipment.id);
    },
    get,
    async list(caller, page) {
      const { offset, limit } = pageBounds(page);
      return store.shipmentPage({ orgIds: platform.orgs.subtree(caller.orgId), offset, limit });
    },
    async cancel(caller, id) {
      const shipment = await get(caller, id);
      if (shipment.status !== ShipmentStatus.Running || !(await store.cancelShipment(id, clock.now())))
        throw new ConflictError('Shipment is not running.');
      logger.info({ shipmentId: id }, 'ota: shipment cancelled');
      return get(caller, id);
    },
  };
}
