/**
 * The JSON shape `runway analyze` accepts, validated with zod so that bad input yields
 * an error naming the field (e.g. `variants.1.sumSquares`).
 */
import { z } from 'zod'
import { DEFAULT_TUNING_N } from './msprt-tau.js'

const finite = () => z.number().finite()

const variantSchema = z.object({
  name: z.string().min(1),
  n: finite().nonnegative(),
  /** Σy; successes for proportions */
  sum: finite(),
  sumSquares: finite().nonnegative().optional(),
  denominatorSum: finite().optional(),
  denominatorSumSquares: finite().nonnegative().optional(),
  crossSum: finite().optional(),
  covariateSum: finite().optional(),
  covariateSumSquares: finite().nonnegative().optional(),
  covariateCrossSum: finite().optional(),
  denominatorCovariateCrossSum: finite().optional(),
})

const spendingSchema = z.union([z.enum(['obf', 'pocock']), z.object({ power: finite().positive() })])

export const analyzeInputSchema = z
  .object({
    metric: z.object({
      type: z.enum(['mean', 'proportion', 'ratio']),
      lift: z.enum(['absolute', 'relative']).default('absolute'),
    }),
    method: z.enum(['welch', 'msprt', 'confseq', 'gst']).default('welch'),
    alpha: finite().gt(0).lt(1).default(0.05),
    sided: z.enum(['two', 'greater', 'less']).default('two'),
    weights: z.array(finite().positive()).optional(),
    confseq: z.object({ tuningN: finite().positive().default(DEFAULT_TUNING_N) }).optional(),
    msprt: z.object({ tau: finite().positive().optional(), plannedNPerArm: finite().positive().optional() }).optional(),
    gst: z
      .object({
        informationFractions: z.array(finite().positive()).min(1),
        look: z.number().int().min(1),
        spending: spendingSchema.default('obf'),
      })
      .optional(),
    variants: z.array(variantSchema).min(2),
  })
  .superRefine((v, ctx) => {
    const need = (cond: boolean, path: (string | number)[], message: string) => {
      if (!cond) ctx.addIssue({ code: 'custom', path, message })
    }
    if (v.weights) need(v.weights.length === v.variants.length, ['weights'], `expected ${v.variants.length} weights, one per variant`)
    const cuped = v.variants.some((x) => x.covariateSum !== undefined)
    v.variants.forEach((x, i) => {
      if (v.metric.type !== 'proportion') need(x.sumSquares !== undefined, ['variants', i, 'sumSquares'], 'required for mean and ratio metrics')
      if (v.metric.type === 'proportion') need(x.sum >= 0 && x.sum <= x.n, ['variants', i, 'sum'], 'successes must be between 0 and n')
      if (v.metric.type === 'ratio') {
        for (const f of ['denominatorSum', 'denominatorSumSquares', 'crossSum'] as const) {
          need(x[f] !== undefined, ['variants', i, f], 'required for ratio metrics')
        }
      }
      if (cuped) {
        for (const f of ['covariateSum', 'covariateSumSquares', 'covariateCrossSum'] as const) {
          need(x[f] !== undefined, ['variants', i, f], 'required on every variant when any variant has CUPED covariates')
        }
        if (v.metric.type === 'ratio') {
          need(x.denominatorCovariateCrossSum !== undefined, ['variants', i, 'denominatorCovariateCrossSum'], 'required for CUPED on a ratio metric')
        }
      }
    })
    if (v.method === 'gst') {
      need(v.gst !== undefined, ['gst'], 'required for method gst')
      if (v.gst) need(v.gst.look <= v.gst.informationFractions.length, ['gst', 'look'], 'must not exceed the number of informationFractions')
    }
    if (v.method === 'msprt') {
      need(v.msprt?.tau !== undefined || v.msprt?.plannedNPerArm !== undefined, ['msprt', 'tau'], 'required for method msprt (or give msprt.plannedNPerArm)')
    }
  })

export type AnalyzeInput = z.infer<typeof analyzeInputSchema>

export interface FieldError {
  path: string
  message: string
}

/** Parses unknown JSON into AnalyzeInput, or field-named errors. */
export function parseAnalyzeInput(raw: unknown): { ok: true; input: AnalyzeInput } | { ok: false; errors: FieldError[] } {
  const r = analyzeInputSchema.safeParse(raw)
  if (r.success) return { ok: true, input: r.data }
  return { ok: false, errors: r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })) }
}
