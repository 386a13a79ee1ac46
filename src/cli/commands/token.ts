import { join } from 'node:path'
import { SystemClock } from '../../adapters/clock/system-clock.js'
import { embeddedWarehouse, serverWarehouse } from '../../adapters/warehouse/clickhouse-warehouse.js'
import type { RunwayConfig } from '../../config.js'
import type { Warehouse } from '../../ports/warehouse.js'
import { migrate } from '../../services/migrate.js'
import { type TokenRecord, TokenService } from '../../services/tokens.js'
import { callServer, errorMessage } from '../client.js'
import { CliExit, table } from '../output.js'

/**
 * Where token commands act: a running server (with an admin token), or the
 * warehouse itself (`--data-dir DIR` or `--local`), which is how the first admin
 * token is made. The embedded engine holds its data directory while a server runs,
 * so local mode is for when none does (or for a ClickHouse server, CLICKHOUSE_URL).
 */
export type TokenTarget = { server: string } | { local: RunwayConfig }

interface TokenOps {
  create(input: { name: string; role: string; namespace: string }): Promise<{ token: string; record: TokenRecord }>
  list(): Promise<TokenRecord[]>
  revoke(id: string): Promise<TokenRecord>
  close(): Promise<void>
}

function openWarehouse(config: RunwayConfig): Warehouse {
  if (config.clickhouseUrl) return serverWarehouse(config.clickhouseUrl)
  try {
    return embeddedWarehouse(join(config.dataDir, 'warehouse'))
  } catch (error) {
    // chDB locks its directory: a running server owns it, and tokens go through that server.
    if (/lock|CHDB_CONNECTION/i.test(`${(error as { code?: string }).code} ${(error as Error).message} ${String((error as Error).cause)}`)) {
      throw new CliExit(2, `${config.dataDir} is in use by a running runway: create tokens through it (--server URL, with an admin RUNWAY_TOKEN), or stop it first`)
    }
    throw error
  }
}

async function localOps(config: RunwayConfig): Promise<TokenOps> {
  const warehouse = openWarehouse(config)
  try {
    await migrate(warehouse)
  } catch (error) {
    await warehouse.close()
    throw error
  }
  const tokens = new TokenService({ warehouse, clock: new SystemClock(), cacheTtlMs: 0 })
  // The ledger of who minted what names the operating-system user, marked as local.
  const by = `${config.actor} (local)`
  return {
    create: (input) => tokens.create(input, by),
    list: () => tokens.list(),
    revoke: (id) => tokens.revoke(id, by),
    close: () => warehouse.close(),
  }
}

function serverOps(server: string): TokenOps {
  const expect = async (res: Promise<{ status: number; body: unknown }>, ok: number, what: string) => {
    const r = await res
    if (r.status !== ok) throw new CliExit(1, `${what} failed (HTTP ${r.status}): ${errorMessage(r.body)}`)
    return r.body as Record<string, unknown>
  }
  return {
    async create(input) {
      const b = await expect(callServer(server, '/v1/tokens', { method: 'POST', body: JSON.stringify(input), headers: { 'content-type': 'application/json' } }), 201, 'token create')
      const { token, ...record } = b
      return { token: String(token), record: record as unknown as TokenRecord }
    },
    list: async () => (await expect(callServer(server, '/v1/tokens'), 200, 'token list')).tokens as TokenRecord[],
    revoke: async (id) => (await expect(callServer(server, `/v1/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' }), 200, 'token revoke')).token as TokenRecord,
    close: async () => {},
  }
}

async function withOps<T>(target: TokenTarget, fn: (ops: TokenOps) => Promise<T>): Promise<T> {
  const ops = 'server' in target ? serverOps(target.server) : await localOps(target.local)
  try {
    return await fn(ops)
  } finally {
    await ops.close()
  }
}

/** `runway token create`: the token alone on stdout (for `export RUNWAY_TOKEN=$(…)`), what it is on stderr. */
export async function tokenCreateCommand(target: TokenTarget, input: { name: string; role: string; namespace: string }, json?: boolean): Promise<void> {
  const { token, record } = await withOps(target, (ops) => ops.create(input))
  if (json) {
    console.log(JSON.stringify({ token, ...record }, null, 2))
    return
  }
  console.log(token)
  console.error(`token ${record.id} for ${record.name}: ${record.role} on ${record.namespace === '*' ? "'*' (all namespaces)" : record.namespace}. It is shown only now: store it (RUNWAY_TOKEN).`)
}

export async function tokenListCommand(target: TokenTarget, json?: boolean): Promise<void> {
  const list = await withOps(target, (ops) => ops.list())
  if (json) {
    console.log(JSON.stringify({ tokens: list }, null, 2))
    return
  }
  const when = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().slice(0, 19).replace('T', ' '))
  console.log(
    table(
      ['ID', 'NAME', 'ROLE', 'NAMESPACE', 'CREATED', 'BY', 'REVOKED'],
      list.map((t) => [t.id, t.name, t.role, t.namespace, when(t.createdAt), t.createdBy, when(t.revokedAt)]),
    ),
  )
}

export async function tokenRevokeCommand(target: TokenTarget, id: string): Promise<void> {
  const t = await withOps(target, (ops) => ops.revoke(id))
  console.log(`${t.id} (${t.name}): revoked`)
}
