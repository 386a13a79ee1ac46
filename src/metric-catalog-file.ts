import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { type MetricCatalog, MetricCatalogSchema } from './domain/metric-catalog.js'
import { parseWith } from './domain/validation.js'
import { InputError } from './errors.js'

/** Reads the metric catalog once, at start-up (RUNWAY_METRIC_CATALOG); every problem listed with its path. */
export function loadMetricCatalogFile(path: string): MetricCatalog {
  let raw: unknown
  try {
    raw = parseYaml(readFileSync(path, 'utf8')) ?? {}
  } catch (error) {
    throw new InputError(`cannot read metric catalog ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, [], 'INVALID_CONFIG')
  }
  const parsed = parseWith(MetricCatalogSchema, raw)
  if (!parsed.ok) throw new InputError(`${path}: invalid metric catalog`, parsed.problems, 'INVALID_CONFIG')
  return parsed.value
}
