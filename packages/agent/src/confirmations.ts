/**
 * One-time confirmation tokens for destructive MCP tools in hosts without elicitation: the first
 * call answers what would change and a token bound to that exact call; only a second call that
 * passes it back runs, once, within `ttlMs`.
 */
export class Confirmations {
  readonly #pending = new Map<string, { key: string; expiresAt: number }>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  issue(toolName: string, input: unknown): string {
    this.#sweep();
    const token = `confirm-${Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
    this.#pending.set(token, { key: keyOf(toolName, input), expiresAt: this.clock() + this.ttlMs });
    return token;
  }

  /** True once for a token issued for this very call; a used, expired or foreign token is false. */
  consume(token: string, toolName: string, input: unknown): boolean {
    this.#sweep();
    const pending = this.#pending.get(token);
    if (!pending || pending.key !== keyOf(toolName, input)) return false;
    this.#pending.delete(token);
    return true;
  }

  #sweep() {
    const now = this.clock();
    for (const [token, { expiresAt }] of this.#pending) if (expiresAt <= now) this.#pending.delete(token);
  }
}

function keyOf(toolName: string, input: unknown): string {
  return `${toolName}:${canonical(input)}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
