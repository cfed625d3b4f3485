// Vercel edge runtime adapter: a fetch event listener around the app.
import { rewindApp } from './app';

declare const NEON_BASE_URL: string;
declare function addEventListener(
  type: 'fetch',
  listener: (event: { request: Request; respondWith(response: Promise<Response> | Response): void }) => void,
): void;

const app = rewindApp(NEON_BASE_URL);
addEventListener('fetch', (event) => event.respondWith(app.fetch(event.request)));
