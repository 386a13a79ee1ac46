import { readFileSync } from 'node:fs'
import { parseSpecText } from '../../api/spec-body.js'
import { ExperimentSpecSchema } from '../../domain/experiment.js'
import { type MetricCatalog, resolveCatalogMetrics } from '../../domain/metric-catalog.js'
import { checkEnqueuePolicy } from '../../domain/policy.js'
import { parseWith } from '../../domain/validation.js'
import { InputError } from '../../errors.js'
import { loadMetricCatalogFile } from '../../metric-catalog-file.js'
import { CliExit } from '../output.js'

export interface ValidateOptions {
  /** The metric catalog file; else $RUNWAY_METRIC_CATALOG (what `runway serve` reads), else none. */
  metricCatalog?: string
}

/**
 * `runway validate spec.yaml`: every schema problem and policy failure, with its path. Metric
 * names that refer to the catalog are resolved as the server resolves them at enqueue
 * (domain/metric-catalog.ts), so a name the catalog lacks is refused here, offline, at its path.
 */
export function validateCommand(file: string, o: ValidateOptions = {}, env: NodeJS.ProcessEnv = process.env): void {
  const text = file === '-' ? readFileSync(0, 'utf8') : readSpecFile(file)
  const catalogFile = o.metricCatalog ?? (env.RUNWAY_METRIC_CATALOG || undefined)
  const catalog: MetricCatalog | null = catalogFile ? loadMetricCatalogFile(catalogFile) : null
  let raw: unknown
  try {
    raw = resolveCatalogMetrics(parseSpecText(text, file), catalog)
  } catch (error) {
    if (!(error instanceof InputError) || error.problems.length === 0) throw error
    for (const p of error.problems) console.log(`${p.path}: ${p.message}`)
    throw new CliExit(1, `${file}: ${error.problems.length} problem(s)${catalogFile ? ` (metric catalog ${catalogFile})` : ''}`)
  }
  const parsed = parseWith(ExperimentSpecSchema, raw)
  if (!parsed.ok) {
    for (const p of parsed.problems) console.log(`${p.path}: ${p.message}`)
    throw new CliExit(1, `${file}: ${parsed.problems.length} problem(s)`)
  }
  const policy = checkEnqueuePolicy(parsed.value)
  if (!policy.allowed) {
    for (const f of policy.failures) console.log(`${f.path}: ${f.message} [policy: ${f.rule}]`)
    throw new CliExit(1, `${file}: valid shape, but ${policy.failures.length} policy rule(s) would refuse it`)
  }
  console.log(`${file}: ok (${parsed.value.id}, ${parsed.value.variants.length} variants, ${parsed.value.rollout.steps.length} rollout steps)`)
}

export function readSpecFile(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new CliExit(2, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}
