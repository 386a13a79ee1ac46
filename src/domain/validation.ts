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

export function problemsOf(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }))
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] }

/** safeParse that returns problems with rendered paths instead of a ZodError. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(input)
  return result.success ? { ok: true, value: result.data } : { ok: false, problems: problemsOf(result.error) }
}
