export { createNeonEmulator, type NeonEmulator } from './emulator';
export type { Faults, HttpFault, OperationFault } from './engine/faults';
export type { RateLimits } from './engine/rate-limiter';
export type { EmulatorLimits, NeonEmulatorOptions } from './options';
export { type NeonEmulatorServer, type NeonEmulatorServerOptions, startNeonEmulator } from './server';
