import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { aedesVersion } from '../brokers/aedes.js';
import { mosquittoVersion } from '../brokers/mosquitto.js';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
  readonly mosquitto?: string;
  readonly aedes?: string;
  readonly openFilesLimit?: string;
}

function procLine(file: string, pattern: RegExp): string | undefined {
  try {
    return pattern.exec(readFileSync(file, 'utf8'))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

export function machineInfo(): MachineInfo {
  const mosquitto = mosquittoVersion();
  const aedes = aedesVersion();
  const openFiles = procLine('/proc/self/limits', /Max open files\s+(\d+\s+\d+)/);
  return {
    cpuModel: procLine('/proc/cpuinfo', /model name\s*:\s*(.+)/) ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: procLine('/proc/version', /Linux version (\S+)/) ?? 'unknown',
    ...(mosquitto === undefined ? {} : { mosquitto }),
    ...(aedes === undefined ? {} : { aedes }),
    ...(openFiles === undefined ? {} : { openFilesLimit: `${openFiles.replace(/\s+/, ' soft / ')} hard` }),
  };
}
