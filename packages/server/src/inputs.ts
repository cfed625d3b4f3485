import { RewindError } from '@rewind/protocol';
import * as v from 'valibot';

// What callers may send, in one place: the HTTP routes validate with these (through
// `sValidator`) and the programmatic API with `parseInput`, so both refuse the same input the
// same way.

const JsonValue: v.GenericSchema<unknown> = v.lazy(() =>
  v.union([
    v.string(),
    v.number(),
    v.boolean(),
    v.null(),
    v.array(JsonValue),
    v.record(v.string(), JsonValue),
  ]),
);
const Label = v.pipe(v.string(), v.trim(), v.minLength(1, 'label must not be empty'), v.maxLength(200));
const IsoTime = v.pipe(v.string(), v.isoTimestamp('expiresAt must be an ISO 8601 timestamp'));

export const CreateVersionInput = v.strictObject({
  label: Label,
  prompt: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(20_000)))),
  codeRef: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(500)))),
  parentId: v.optional(v.nullable(v.string())),
  expiresAt: v.optional(v.nullable(IsoTime)),
  metadata: v.optional(v.record(v.string(), JsonValue)),
});

export const UpdateVersionInput = v.pipe(
  v.strictObject({ label: v.optional(Label), pinned: v.optional(v.boolean()) }),
  v.check((body) => body.label !== undefined || body.pinned !== undefined, 'give a label, pinned, or both'),
);

export const IdempotencyKey = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

export const RestoreInput = v.optional(v.strictObject({ undoable: v.optional(v.boolean()) }), {});

export const CodeRefInput = v.pipe(v.string(), v.minLength(1), v.maxLength(500));

interface Issue {
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: unknown }> | undefined;
}

/** Hook for `sValidator`: any schema failure becomes a typed `bad_request` with the issues. */
export function failValidation(result: { success: boolean; error?: readonly Issue[] }): void {
  if (result.success) return;
  const issues = (result.error ?? []).map((issue) => ({
    path: (issue.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part)).join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  throw new RewindError(
    'bad_request',
    first ? `Invalid request: ${first.path ? `${first.path}: ` : ''}${first.message}` : 'Invalid request',
    { details: { issues } },
  );
}

/** Validate a programmatic call's input as the routes do; a failure throws `bad_request`. */
export function parseInput<S extends v.GenericSchema>(schema: S, value: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (!result.success) failValidation({ success: false, error: result.issues });
  return result.output as v.InferOutput<S>;
}
