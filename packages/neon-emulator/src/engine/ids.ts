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

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length)] as T;
}

function hex(length: number, random: () => number): string {
  return Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
}

/** An RFC 4122 version 4 UUID from `random`. */
function uuid(random: () => number): string {
  const h = hex(32, random).split('');
  h[12] = '4';
  h[16] = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export type IdKind = 'project' | 'branch' | 'endpoint' | 'snapshot' | 'operation' | 'database' | 'request';

export function newId(kind: IdKind, random: () => number): string {
  const words = `${pick(ADJECTIVES, random)}-${pick(NOUNS, random)}`;
  switch (kind) {
    case 'project':
      return `${words}-${String(Math.floor(random() * 900_000) + 100_000)}`;
    case 'branch':
      return `br-${words}-${hex(8, random)}`;
    case 'endpoint':
      return `ep-${words}-${hex(8, random)}`;
    case 'snapshot':
      return `snap-${words}-${hex(8, random)}`;
    case 'database':
      return String(Math.floor(random() * 9_000_000) + 1_000_000);
    default:
      return uuid(random);
  }
}

/** The spec's path id pattern. */
export const ID_PATTERN = /^[a-z0-9-]{1,60}$/;

/** RFC 3339 UTC with second precision, as Neon prints timestamps. */
export function isoTime(now: number): string {
  return `${new Date(now).toISOString().slice(0, 19)}Z`;
}

/** A role password's shape (`npg_` and 12 characters). */
export function newPassword(random: () => number): string {
  return `npg_${hex(12, random)}`;
}
