// Rewind under /api/rewind/*: one catch-all route on the Node runtime (Next 16 deprecates the
// edge runtime for route handlers). `basePath` in lib/rewind.ts matches this folder.
import { handle } from '../../../../lib/rewind';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = handle;
export const POST = handle;
export const PATCH = handle;
export const DELETE = handle;
