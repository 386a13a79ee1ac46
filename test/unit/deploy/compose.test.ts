import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ENV_VARS, loadConfig } from '../../../src/config.js'

interface Service {
  image?: string
  build?: string
  environment?: Record<string, string>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  volumes?: string[]
  profiles?: string[]
}

const compose = parse(readFileSync(fileURLToPath(new URL('../../../docker-compose.yml', import.meta.url)), 'utf8'), { merge: true }) as {
  services: Record<string, Service>
  volumes: Record<string, unknown>
}
const services = compose.services
const runwayServices = Object.entries(services).filter(([, s]) => s.build !== undefined)

describe('docker-compose.yml', () => {
  it('has the distributed engines and the three runway roles, each with a health check', () => {
    for (const name of ['kafka', 'clickhouse', 'redis', 'runway-api', 'runway-worker', 'runway-controller', 'runway']) {
      expect(services[name], name).toBeDefined()
      expect(services[name]!.healthcheck?.test.length, `${name} health check`).toBeGreaterThan(0)
    }
    expect(services['runway-api']!.environment!.RUNWAY_ROLE).toBe('api')
    expect(services['runway-worker']!.environment!.RUNWAY_ROLE).toBe('worker')
    expect(services['runway-controller']!.environment!.RUNWAY_ROLE).toBe('controller')
  })

  it('points every distributed role at Kafka, ClickHouse and Redis services that exist, and waits for them', () => {
    for (const name of ['runway-api', 'runway-worker', 'runway-controller']) {
      const s = services[name]!
      const env = s.environment!
      expect(env.KAFKA_BROKERS!.split(',').map((b) => b.split(':')[0])).toEqual(['kafka'])
      expect(new URL(env.CLICKHOUSE_URL!).hostname).toBe('clickhouse')
      expect(new URL(env.REDIS_URL!).hostname).toBe('redis')
      expect(Object.keys(s.depends_on ?? {}).sort()).toEqual(['clickhouse', 'kafka', 'redis'])
      for (const dep of Object.values(s.depends_on!)) expect(dep.condition).toBe('service_healthy')
      // What the code reads from that environment is valid configuration.
      const config = loadConfig(env)
      expect(config.role).toBe(env.RUNWAY_ROLE)
      expect(config.kafka?.brokers).toEqual(['kafka:9092'])
      expect(config.redis?.url).toBe(env.REDIS_URL)
    }
  })

  it('sets only variables Runway reads (no typos)', () => {
    for (const [name, s] of runwayServices) {
      for (const key of Object.keys(s.environment ?? {})) expect(ENV_VARS, `${name}: ${key}`).toContain(key)
    }
  })

  it('the ClickHouse credentials in CLICKHOUSE_URL match the server', () => {
    const url = new URL(services['runway-api']!.environment!.CLICKHOUSE_URL!)
    expect(url.username).toBe(services.clickhouse!.environment!.CLICKHOUSE_USER)
    expect(url.password).toBe(services.clickhouse!.environment!.CLICKHOUSE_PASSWORD)
  })

  it('declares every named volume it mounts', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!
        if (!source.startsWith('.') && !source.startsWith('/')) expect(compose.volumes, `${name}: ${source}`).toHaveProperty(source)
      }
    }
  })

  it('requires API tokens wherever the API listens beyond loopback', () => {
    for (const [name, s] of runwayServices) {
      const config = loadConfig(s.environment ?? {})
      expect(config.host, name).toBe('0.0.0.0')
      expect(config.auth.mode, `${name}: RUNWAY_AUTH`).toBe('required')
    }
  })

  it('keeps the embedded single container behind a profile', () => {
    expect(services.runway!.profiles).toEqual(['embedded'])
    expect(services.runway!.environment!.KAFKA_BROKERS).toBeUndefined()
    expect(loadConfig(services.runway!.environment!).kafka).toBeNull()
  })
})
