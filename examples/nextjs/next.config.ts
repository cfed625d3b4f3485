import type { NextConfig } from 'next';

// Nothing Rewind-specific: the handler runs on the Node runtime, `pg` is one of Next's default
// server externals, and the emulator runs as its own process (the CLI), not inside Next.
const config: NextConfig = {};

export default config;
