import type { ConnectionInfo } from '../../broker/auth.js';
import type { AdapterLink } from '../../broker/client-adapter.js';
import type { ReasonCode } from '../codec/reason-codes.js';
import type { Channel } from './channel.js';

/**
 * What an adapter (device/gateway API) sees of its connection. One small object whose methods
 * live on the prototype: an object literal with two arrow functions cost ~220 bytes per connection.
 * Its fields do not change once the connection is accepted.
 */
export class ChannelAdapterLink implements AdapterLink {
  constructor(private readonly channel: Channel) {}

  get clientId(): string {
    return this.channel.clientId;
  }

  get protocolVersion(): 3 | 4 | 5 {
    return this.channel.protocolVersion;
  }

  get sessionKey(): string {
    return this.channel.sessionKey;
  }

  get connection(): ConnectionInfo {
    return this.channel.info;
  }

  limitOutboundPacketSize(bytes: number): void {
    this.channel.clientMaxPacketSize = Math.min(this.channel.clientMaxPacketSize, bytes);
  }

  close(code: ReasonCode, reasonString?: string): void {
    this.channel.close(code, true, reasonString);
  }
}
