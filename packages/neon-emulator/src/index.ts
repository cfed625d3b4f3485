export type { BranchData } from './data/branch-data';
export { MetadataOnlyData } from './data/metadata-only-data';
export { createNeonEmulator, type NeonEmulator } from './emulator';
export {
  emptyFaults,
  type Faults,
  type HttpFault,
  type OperationFault,
  REALISTIC_FAULTS,
} from './engine/faults';
export type { RateLimits } from './engine/rate-limiter';
export { type EmulatorLimits, type NeonEmulatorOptions, type NeonPlan, PLAN_LIMITS } from './options';
export { type NeonEmulatorServer, type NeonEmulatorServerOptions, startNeonEmulator } from './server';
