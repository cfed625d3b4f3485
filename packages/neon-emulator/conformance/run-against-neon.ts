// `pnpm conformance:neon`: the emulator's neonctl scenario against the real Neon API, so anyone
// with an account can check the emulator against the real thing. It creates one project named
// `rewind-conformance-…` and deletes it at the end, whatever happened. Without NEON_API_KEY it
// says it skipped and exits 0.
import { runNeonctlScenario } from './neonctl-scenario';

const apiKey = process.env.NEON_API_KEY;
if (!apiKey) {
  console.log('conformance:neon skipped: NEON_API_KEY is not set (nothing was sent to Neon)');
  process.exit(0);
}
const results = await runNeonctlScenario({
  apiHost: process.env.NEON_API_HOST ?? 'https://console.neon.tech/api/v2',
  apiKey,
  ssl: 'require',
  ...(process.env.NEON_ORG_ID ? { orgId: process.env.NEON_ORG_ID } : {}),
  log: (line) => console.log(line),
}).catch((error) => {
  console.error(`conformance:neon failed: ${String(error).slice(0, 500)}`);
  process.exit(1);
});
const failed = results.filter((r) => !r.ok);
console.log(`conformance:neon: ${results.length - failed.length}/${results.length} steps succeeded`);
process.exit(failed.length === 0 ? 0 : 1);
