// The Platform API shapes the console reads (docs/api/platform-api.md).

export type Role = 'admin' | 'staff' | 'viewer';

export interface Membership {
  orgId: number;
  orgName: string;
  role: Role;
}

export interface SessionInfo {
  user: { id: number; email: string; name?: string };
  memberships: Membership[];
  csrfToken: string;
}

export interface Page<T> {
  content: T[];
  totalElements: number;
}

export interface Organization {
  id: number;
  name: string;
  parentOrganizationId?: number | null;
}

export interface HardwareInfo {
  version?: string;
  fwType?: string;
  blynkVersion?: string;
  boardType?: string;
  build?: string;
  templateId?: string;
  rxbuff?: number;
}

export interface Device {
  id: number;
  name: string;
  templateId: number;
  orgId: number;
  status: string;
  hardwareInfo?: HardwareInfo;
  connectTime?: number;
  disconnectTime?: number;
  firstConnectTime?: number;
  ip?: string;
  createdAt?: number;
  /** Presence now (the device lists and the device view carry it). */
  isHardwareConnected?: boolean;
  /** Now while online; else when it went offline; null: never. */
  lastSeenAt?: number | null;
}

export type Value = number | string | boolean | number[] | null;

export interface DataStreamValue {
  dataStreamId: number;
  pin: string;
  value: Value;
  updatedAt: number | null;
}

export interface MetaFieldValue {
  id: number;
  name: string;
  type: string;
  value: string;
}

export interface DeviceDetails extends Device {
  templateName?: string;
  blynkTemplateId?: string;
  dataStreamValues?: DataStreamValue[];
  metaFieldValues?: MetaFieldValue[];
}

export type DataStreamType = 'Integer' | 'Double' | 'String' | 'Enum' | 'Location' | 'Boolean';

export interface EnumValue {
  value: number;
  label: string;
}

export interface DataStream {
  id?: number;
  name: string;
  pin: number;
  type: DataStreamType;
  alias?: string;
  min?: number;
  max?: number;
  defaultValue?: Value;
  units?: string;
  decimals?: number;
  isSync: boolean;
  isRaw: boolean;
  enumValues?: EnumValue[];
  enumFallback?: number;
}

export interface Template {
  id: number;
  templateId?: string;
  name: string;
  orgId: number;
  description?: string;
  gatewayEnabled?: boolean;
  offlineDelaySec?: number;
  datastreams: DataStream[];
}

export interface DeviceEvent {
  id: number;
  eventCode: string;
  eventType?: string;
  description?: string;
  ts: number;
}
