import type { IncomingHttpHeaders } from 'node:http'

/** Credentials as ClickHouse clients send them; later sources win, as on a ClickHouse server. */
export interface ClickHouseCredentials {
  user: string | undefined
  /** The password from wherever it came (URL, basic auth, X-ClickHouse-Key). */
  password: string | undefined
  bearer: string | undefined
  basicPassword: string | undefined
  headerKey: string | undefined
}

/**
 * Reads `user`/`password` URL parameters, HTTP basic auth, the
 * X-ClickHouse-User/Key headers and `Authorization: Bearer`. JDBC and DBeaver
 * send basic auth, clickhouse-connect and the Node client the headers or basic.
 */
export function credentialsOf(headers: IncomingHttpHeaders, url: URLSearchParams): ClickHouseCredentials {
  let user = url.get('user') ?? undefined
  let password = url.get('password') ?? undefined
  let basicPassword: string | undefined
  const authorization = headers.authorization ?? ''
  const basic = /^Basic\s+(.+)$/i.exec(authorization)
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    user = colon < 0 ? decoded : decoded.slice(0, colon)
    password = colon < 0 ? '' : decoded.slice(colon + 1)
    basicPassword = password || undefined
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1]
  const headerUser = headers['x-clickhouse-user']
  const rawKey = headers['x-clickhouse-key']
  const headerKey = typeof rawKey === 'string' && rawKey !== '' ? rawKey : undefined
  if (typeof headerUser === 'string') user = headerUser
  if (typeof rawKey === 'string') password = rawKey
  return { user, password, bearer, basicPassword, headerKey }
}
