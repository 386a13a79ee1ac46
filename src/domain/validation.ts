import type { z } from 'zod'

export interface FieldProblem {
  path: string
  message: string
}

/** Renders a zod path as `variants[1].weight`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? String(key) : `.${String(key)}`
  }
  return out === '' ? '(root)' : out
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, so
 * `rolluot` is one edit from `rollout`). Hand-written: the npm edit-distance
 * libraries do not count transpositions, and typos are mostly those.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

/** The known key nearest to a mistyped one, if it is close enough to be the likely intent. */
export function nearestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null
  let bestDistance = Infinity
  for (const candidate of known) {
    // Case-insensitive: `MinDuration` meant `minDuration`, whatever its edit count.
    const distance = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }
  // Up to a third of the key's length, at least 1, at most 3: `rolout`→`rollout`, never `id`→`ab`.
  const allowed = Math.min(3, Math.max(1, Math.floor(key.length / 3)))
  return bestDistance <= allowed ? best : null
}

type Def = { type: string; [k: string]: unknown }
const defOf = (schema: unknown): Def | null => ((schema as { _zod?: { def?: Def } } | null)?._zod?.def ?? null)

/** The schemas a value at `path` may be checked against (several under a union). */
function schemasAt(schema: unknown, path: ReadonlyArray<PropertyKey>): unknown[] {
  const def = defOf(schema)
  if (!def) return []
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return schemasAt(def.innerType, path)
    case 'pipe':
      return schemasAt(def.in, path)
    case 'lazy':
      return schemasAt((def.getter as () => unknown)(), path)
    case 'union':
      return (def.options as unknown[]).flatMap((o) => schemasAt(o, path))
    case 'intersection':
      return [...schemasAt(def.left, path), ...schemasAt(def.right, path)]
  }
  if (path.length === 0) return [schema]
  const [head, ...rest] = path
  if (def.type === 'object') {
    const shape = def.shape as Record<string, unknown>
    return typeof head === 'string' && Object.hasOwn(shape, head) ? schemasAt(shape[head], rest) : []
  }
  if (def.type === 'array') return schemasAt(def.element, rest)
  if (def.type === 'record') return schemasAt(def.valueType, rest)
  if (def.type === 'tuple' && typeof head === 'number') return schemasAt((def.items as unknown[])[head], rest)
  return []
}

/** The keys a schema allows at `path`: an object's shape, or an enum-keyed record's keys. */
export function knownKeysAt(schema: unknown, path: ReadonlyArray<PropertyKey>): string[] {
  const keys = new Set<string>()
  for (const s of schemasAt(schema, path)) {
    const def = defOf(s)!
    if (def.type === 'object') for (const k of Object.keys(def.shape as object)) keys.add(k)
    if (def.type === 'record') {
      const entries = defOf(def.keyType)?.entries as Record<string, string> | undefined
      for (const k of Object.values(entries ?? {})) keys.add(String(k))
    }
  }
  return [...keys]
}

type Issue = z.core.$ZodIssue

/** A problem before its path is rendered (to re-issue under another path, as a scenario does for its specs). */
export interface RawProblem {
  path: PropertyKey[]
  message: string
}

function unknownKeyProblems(issue: Issue & { keys: string[] }, path: PropertyKey[], schema: unknown): RawProblem[] {
  const known = schema === undefined ? [] : knownKeysAt(schema, path)
  return issue.keys.map((key) => {
    const near = nearestKey(key, known)
    return {
      path: [...path, key],
      message: near ? `unknown key; did you mean \`${near}\`?` : known.length > 0 ? `unknown key (known: ${known.join(', ')})` : 'unknown key',
    }
  })
}

/**
 * A union where every branch failed: when all branches refuse the same unknown key, that
 * key is the mistake; otherwise the branch that came closest (fewest problems, not counting
 * branches of another type) speaks. A tie keeps zod's own message.
 */
function unionProblems(issue: Issue & { errors: Issue[][] }, base: PropertyKey[], schema: unknown): RawProblem[] | null {
  const branches = issue.errors
  if (branches.length === 0) return null
  const sig = (i: Issue) => `${formatPath(i.path)}|${(i as { keys?: string[] }).keys?.join(',')}`
  const common = branches[0]!.filter((i) => i.code === 'unrecognized_keys' && branches.every((b) => b.some((j) => j.code === 'unrecognized_keys' && sig(j) === sig(i))))
  if (common.length > 0) return common.flatMap((i) => issueProblems(i, base, schema))
  // A branch refused for the value's type (an object where an enum was expected) is not what the author meant.
  const candidates = branches.filter((b) => !(b.length === 1 && b[0]!.path.length === 0 && (b[0]!.code === 'invalid_type' || b[0]!.code === 'invalid_value')))
  const sizes = candidates.map((b) => b.length)
  const fewest = Math.min(...sizes)
  if (sizes.filter((n) => n === fewest).length !== 1) return null
  return candidates[sizes.indexOf(fewest)]!.flatMap((i) => issueProblems(i, base, schema))
}

function issueProblems(issue: Issue, base: PropertyKey[], schema: unknown): RawProblem[] {
  const path = [...base, ...issue.path]
  if (issue.code === 'unrecognized_keys') return unknownKeyProblems(issue, path, schema)
  if (issue.code === 'invalid_union') {
    const flat = unionProblems(issue as Issue & { errors: Issue[][] }, path, schema)
    if (flat) return flat
  }
  return [{ path, message: issue.message }]
}

/**
 * Every problem with its rendered path. Unknown keys get one problem each, with the
 * nearest key the schema knows at that path: "rolout: unknown key; did you mean `rollout`?".
 */
export function problemsOf(error: z.ZodError, schema?: z.ZodType): FieldProblem[] {
  return rawProblemsOf(error, schema).map((p) => ({ path: formatPath(p.path), message: p.message }))
}

/** problemsOf with the paths left as arrays. */
export function rawProblemsOf(error: z.ZodError, schema?: z.ZodType): RawProblem[] {
  return error.issues.flatMap((issue) => issueProblems(issue, [], schema))
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] }

/** safeParse that returns problems with rendered paths instead of a ZodError. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(input)
  return result.success ? { ok: true, value: result.data } : { ok: false, problems: problemsOf(result.error, schema) }
}

/** C0 controls and DEL, except tab, newline and carriage return (free text may span lines). */
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/
/** Any C0 control or DEL: one-line values (names, ids, reasons shown in one line of a log). */
const CONTROL_IN_LINE = /[\u0000-\u001f\u007f]/

/** Whether a string holds control characters; `multiline` lets tab, LF and CR through. */
export function hasControlCharacters(text: string, multiline = false): boolean {
  return (multiline ? CONTROL_IN_TEXT : CONTROL_IN_LINE).test(text)
}
