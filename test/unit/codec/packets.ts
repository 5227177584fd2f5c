import type { Packet } from '../../../src/mqtt/codec/packet.js';

/** Round-trip tables: what a peer may send or receive, per protocol version (not a test file). */

const payload = Buffer.from('{"t":21.5}');
const userProperties = { region: 'eu', tag: ['a', 'b'] };

export const packetsV4: Array<[string, Packet]> = [
  [
    'CONNECT minimal',
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: 'dev-1' },
  ],
  [
    'CONNECT empty client id',
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: '' },
  ],
  [
    'CONNECT will, user name, password',
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: false,
      keepalive: 30,
      clientId: 'dev-2',
      will: { topic: 'status/dev-2', payload: Buffer.from('offline'), qos: 1, retain: true },
      username: 'user',
      password: Buffer.from('s3cret'),
    },
  ],
  ['CONNACK accepted', { cmd: 'connack', sessionPresent: true, returnCode: 0 }],
  ['CONNACK refused', { cmd: 'connack', sessionPresent: false, returnCode: 5 }],
  ['PUBLISH QoS 0', { cmd: 'publish', topic: 'a/b', payload, qos: 0, dup: false, retain: false }],
  [
    'PUBLISH QoS 1 dup retain',
    { cmd: 'publish', topic: 'a/b', payload, qos: 1, dup: true, retain: true, messageId: 1 },
  ],
  [
    'PUBLISH QoS 2',
    { cmd: 'publish', topic: 'température/°C', payload, qos: 2, dup: false, retain: false, messageId: 65535 },
  ],
  [
    'PUBLISH empty payload',
    { cmd: 'publish', topic: 'x', payload: Buffer.alloc(0), qos: 0, dup: false, retain: true },
  ],
  ['PUBACK', { cmd: 'puback', messageId: 2 }],
  ['PUBREC', { cmd: 'pubrec', messageId: 3 }],
  ['PUBREL', { cmd: 'pubrel', messageId: 4 }],
  ['PUBCOMP', { cmd: 'pubcomp', messageId: 5 }],
  [
    'SUBSCRIBE',
    {
      cmd: 'subscribe',
      messageId: 6,
      subscriptions: [
        { topic: 'a/+', qos: 0 },
        { topic: 'b/#', qos: 2 },
      ],
    },
  ],
  ['SUBACK', { cmd: 'suback', messageId: 6, granted: [0, 2, 0x80] }],
  ['UNSUBSCRIBE', { cmd: 'unsubscribe', messageId: 7, unsubscriptions: ['a/+', 'b/#'] }],
  // mqtt-packet's type demands `granted`, but a 3.1.1 UNSUBACK carries no reason codes.
  ['UNSUBACK', { cmd: 'unsuback', messageId: 7 } as Packet],
  ['PINGREQ', { cmd: 'pingreq' }],
  ['PINGRESP', { cmd: 'pingresp' }],
  ['DISCONNECT', { cmd: 'disconnect' }],
];

export const packetsV5: Array<[string, Packet]> = [
  [
    'CONNECT minimal',
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 60, clientId: 'dev-1' },
  ],
  [
    'CONNECT every property, will properties',
    {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: false,
      keepalive: 10,
      clientId: 'dev-5',
      properties: {
        sessionExpiryInterval: 3600,
        receiveMaximum: 20,
        maximumPacketSize: 65536,
        topicAliasMaximum: 10,
        requestResponseInformation: true,
        requestProblemInformation: false,
        userProperties,
        authenticationMethod: 'SCRAM-SHA-1',
        authenticationData: Buffer.from([1, 2, 3]),
      },
      will: {
        topic: 'status/dev-5',
        payload: Buffer.from('gone'),
        qos: 2,
        retain: false,
        properties: {
          willDelayInterval: 5,
          payloadFormatIndicator: true,
          messageExpiryInterval: 60,
          contentType: 'text/plain',
          responseTopic: 'replies/dev-5',
          correlationData: Buffer.from('corr'),
          userProperties: { k: 'v' },
        },
      },
      username: 'user',
      password: Buffer.from('pw'),
    },
  ],
  [
    'CONNACK every property',
    {
      cmd: 'connack',
      sessionPresent: false,
      reasonCode: 0,
      properties: {
        sessionExpiryInterval: 100,
        receiveMaximum: 1024,
        maximumQoS: 1,
        retainAvailable: true,
        maximumPacketSize: 1048576,
        assignedClientIdentifier: 'auto-1',
        topicAliasMaximum: 64,
        reasonString: 'welcome',
        userProperties,
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: false,
        sharedSubscriptionAvailable: true,
        serverKeepAlive: 120,
        responseInformation: 'resp/',
        serverReference: 'other:1883',
        authenticationMethod: 'SCRAM-SHA-1',
        authenticationData: Buffer.from([9]),
      },
    },
  ],
  [
    'CONNACK refused',
    { cmd: 'connack', sessionPresent: false, reasonCode: 0x87, properties: { reasonString: 'no' } },
  ],
  [
    'PUBLISH every property, several subscription identifiers',
    {
      cmd: 'publish',
      topic: 'a/b',
      payload,
      qos: 1,
      dup: false,
      retain: false,
      messageId: 9,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 30,
        topicAlias: 3,
        responseTopic: 'r/1',
        correlationData: Buffer.from('c1'),
        userProperties,
        subscriptionIdentifier: [1, 268435455],
        contentType: 'application/json',
      },
    },
  ],
  [
    'PUBLISH one subscription identifier',
    {
      cmd: 'publish',
      topic: 'a',
      payload,
      qos: 0,
      dup: false,
      retain: true,
      properties: { subscriptionIdentifier: 7 },
    },
  ],
  [
    'PUBLISH empty topic with topic alias',
    {
      cmd: 'publish',
      topic: '',
      payload,
      qos: 2,
      dup: true,
      retain: false,
      messageId: 10,
      properties: { topicAlias: 3 },
    },
  ],
  ['PUBLISH without properties', { cmd: 'publish', topic: 'a', payload, qos: 0, dup: false, retain: false }],
  ['PUBACK success short form', { cmd: 'puback', messageId: 1, reasonCode: 0 }],
  [
    'PUBACK reason and properties',
    { cmd: 'puback', messageId: 1, reasonCode: 0x10, properties: { reasonString: 'nobody', userProperties } },
  ],
  ['PUBREC failure', { cmd: 'pubrec', messageId: 2, reasonCode: 0x80 }],
  ['PUBREL not found', { cmd: 'pubrel', messageId: 3, reasonCode: 0x92 }],
  ['PUBCOMP', { cmd: 'pubcomp', messageId: 4, reasonCode: 0 }],
  [
    'SUBSCRIBE options and properties',
    {
      cmd: 'subscribe',
      messageId: 5,
      properties: { subscriptionIdentifier: 42, userProperties },
      subscriptions: [
        { topic: 'a/+', qos: 1, nl: true, rap: false, rh: 0 },
        { topic: '$share/g/b/#', qos: 2, nl: false, rap: true, rh: 2 },
        { topic: 'c', qos: 0, nl: false, rap: false, rh: 1 },
      ],
    },
  ],
  [
    'SUBACK reason codes',
    {
      cmd: 'suback',
      messageId: 5,
      granted: [0, 1, 2, 0x80, 0x8f, 0x9e, 0xa1, 0xa2],
      properties: { reasonString: 'r' },
    },
  ],
  [
    'UNSUBSCRIBE',
    { cmd: 'unsubscribe', messageId: 6, unsubscriptions: ['a/+'], properties: { userProperties } },
  ],
  ['UNSUBACK', { cmd: 'unsuback', messageId: 6, granted: [0, 0x11], properties: { reasonString: 'r' } }],
  ['PINGREQ', { cmd: 'pingreq' }],
  ['PINGRESP', { cmd: 'pingresp' }],
  ['DISCONNECT normal', { cmd: 'disconnect', reasonCode: 0 }],
  [
    'DISCONNECT with will and properties',
    {
      cmd: 'disconnect',
      reasonCode: 0x04,
      properties: { sessionExpiryInterval: 0, reasonString: 'bye', userProperties, serverReference: 'x' },
    },
  ],
  [
    'AUTH continue',
    {
      cmd: 'auth',
      reasonCode: 0x18,
      properties: {
        authenticationMethod: 'SCRAM-SHA-1',
        authenticationData: Buffer.from('data'),
        reasonString: 'more',
      },
    },
  ],
];
