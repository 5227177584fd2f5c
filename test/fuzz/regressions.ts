/**
 * Every crash the fuzzer found, as the exact bytes the client sent. Secrets are placeholders
 * (`{S0}___…` = fuzz device token 0, … `{S8}` = OAuth client id, `{S9}` = its secret; see
 * `secretsTable`), replaced with the running server's own before sending.
 */
import type { Ending } from './cases.js';
import type { LoginKind } from './corpus.js';
import type { ServerKind } from './target.js';
import type { TransportKind } from './transport.js';

export interface Regression {
  /** What crashed and how it was found (seed and case index). */
  readonly name: string;
  readonly server: ServerKind;
  readonly login: LoginKind;
  /** How the bytes are sent; TCP unless the crash needs the WebSocket's message boundaries. */
  readonly transport?: TransportKind;
  /** How the client leaves after the last chunk (as the fuzz case did); 'linger' unless given. */
  readonly ending?: Ending;
  /** The bytes as hex, one string per chunk the client wrote (chunk boundaries can matter). */
  readonly chunks: readonly string[];
}

export const REGRESSIONS: readonly Regression[] = [
  {
    name: 'second CONNECT with protocol level 0x83 after PINGREQ on a v5 device connection: the CONNACK for the bad level could not be encoded (seed 2, case 336; same family as the level-6 second CONNECT)',
    server: 'platform',
    login: 'device',
    chunks: [
      '10820100044d51545405c6000a2f11ffffffff21ffff22000a2600016b000176260008d0bad0bbd18ed1870010d0b7d0bdd0b0d187d0b5d0bdd0bdd18f0009667a31387a786f306a00000a6765742f64732f616c6c0004676f6e65000664657669636500207b53377d5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f',
      'c000',
      '105100044d51545483e60001000009667a3130646b37616c0000086765742f6d6574610004676f6e65000664657669636500207b53377d5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f',
      '3225001964732f54656d70657261747572652f70726f702f6c6162656c0002004b69746368656e',
      '82180003000001231200012309000a646f776e6c696e6b2f2310',
      'e0020000',
    ],
  },
];
