import { createWriteStream, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { sqlQuery } from '../../sql-files.js'
import { CliExit } from '../output.js'

export interface ExportOptions {
  server: string
  token: string | null
  format: 'parquet' | 'csv'
  out: string
  /** Where the server mounts its ClickHouse interface (RUNWAY_CLICKHOUSE_HTTP_PREFIX). */
  clickhousePath: string
}

const PARTS = [
  { query: 'export-unit-metrics', file: 'unit-metrics' },
  { query: 'export-results', file: 'results' },
] as const

/**
 * `runway export ID`: the experiment's unit-level data and per-look results as Parquet or CSV
 * files. The engine encodes the rows (FORMAT Parquet / CSVWithNames) through the server's
 * ClickHouse interface, with the caller's token and its namespace limits; the bytes stream into
 * files written here, by the CLI, so the engine never writes a file on the server's host.
 */
export async function exportCommand(id: string, o: ExportOptions): Promise<string[]> {
  if (o.format !== 'parquet' && o.format !== 'csv') throw new CliExit(2, `--format must be parquet or csv, not ${JSON.stringify(o.format)}`)
  const engineFormat = o.format === 'parquet' ? 'Parquet' : 'CSVWithNames'
  mkdirSync(o.out, { recursive: true })
  const written: string[] = []
  const url = new URL(`${o.clickhousePath.replace(/\/$/, '')}/`, o.server)
  url.searchParams.set('param_experiment', id)
  const headers: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {}
  // An id that no readable experiment has gives empty files; say so instead.
  const probe = await send(url, headers, "SELECT count() FROM analytics.v1_experiments WHERE experiment_id = {experiment:String} FORMAT TSV", o.server)
  if ((await probe.text()).trim() === '0') throw new CliExit(1, `no experiment ${id} (or the token cannot read its namespace)`)
  for (const part of PARTS) {
    const res = await send(url, headers, `${sqlQuery(part.query).trim()}\nFORMAT ${engineFormat}`, o.server)
    const path = join(o.out, `${id}-${part.file}.${o.format}`)
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(path))
    written.push(path)
  }
  for (const path of written) console.log(path)
  return written
}

async function send(url: URL, headers: Record<string, string>, body: string, server: string): Promise<Response> {
  let res: Response
  try {
    res = await fetch(url, { method: 'POST', body, headers })
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message
    throw new CliExit(2, `cannot reach a Runway server at ${server} (${cause}). Start one with \`runway serve\`, or pass --server URL (or set RUNWAY_URL).`)
  }
  if (res.status !== 200 || !res.body) {
    const text = (await res.text()).trim()
    throw new CliExit(1, `export failed (HTTP ${res.status}): ${text}`)
  }
  return res
}
