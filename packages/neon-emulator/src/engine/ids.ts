// Neon's id shapes (neon-api.md §1): project `aged-wildflower-123456`, branch
// `br-young-forest-a5b6c7d8`, endpoint `ep-…`, snapshot `snap-…`, operation UUID.
const ADJECTIVES = [
  'aged',
  'young',
  'cool',
  'quiet',
  'shiny',
  'winter',
  'late',
  'bold',
  'calm',
  'dawn',
  'misty',
  'polished',
  'round',
  'silent',
  'snowy',
  'sparkling',
  'still',
  'sweet',
  'twilight',
  'wild',
  'withered',
  'patient',
];
const NOUNS = [
  'wildflower',
  'forest',
  'darkness',
  'meadow',
  'wind',
  'boat',
  'river',
  'sun',
  'cloud',
  'field',
  'firefly',
  'leaf',
  'moon',
  'pine',
  'rain',
  'sea',
  'shadow',
  'sky',
  'smoke',
  'star',
  'water',
  'frost',
  'bird',
];

function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)] as T;
}

function hex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(length / 2)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))
    .join('')
    .slice(0, length);
}

export type IdKind = 'project' | 'branch' | 'endpoint' | 'snapshot' | 'operation' | 'database' | 'request';

export function newId(kind: IdKind): string {
  const words = `${pick(ADJECTIVES)}-${pick(NOUNS)}`;
  switch (kind) {
    case 'project':
      return `${words}-${String(Math.floor(Math.random() * 900_000) + 100_000)}`;
    case 'branch':
      return `br-${words}-${hex(8)}`;
    case 'endpoint':
      return `ep-${words}-${hex(8)}`;
    case 'snapshot':
      return `snap-${words}-${hex(8)}`;
    case 'database':
      return String(Math.floor(Math.random() * 9_000_000) + 1_000_000);
    default:
      return crypto.randomUUID();
  }
}

/** The spec's path id pattern. */
export const ID_PATTERN = /^[a-z0-9-]{1,60}$/;

/** RFC 3339 UTC with second precision, as Neon prints timestamps. */
export function isoNow(now = Date.now()): string {
  return `${new Date(now).toISOString().slice(0, 19)}Z`;
}
