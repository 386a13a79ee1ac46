import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { ExperimentRecord } from '../../domain/experiment-record.js'
import type { PutResult, StateStore } from '../../ports/state-store.js'

/*
 * Keys under one prefix (a deployment, or a test):
 *   <prefix>:exp:<id>    hash { version, json }: the record, its version readable without parsing the JSON
 *   <prefix>:exps        set of experiment ids (list() without SCAN)
 *   <prefix>:vseq:<id>   verdict sequence counter
 *   <prefix>:changes     pub/sub channel: the id of every experiment written or removed
 *
 * Compare-and-set runs as one Lua script, so two controllers on different
 * machines cannot both win a transition: Redis runs a script with nothing
 * interleaved. The change is published inside the same script, so a subscriber
 * that hears of a change always reads the new record, never the one before it.
 */

/** Result encoding shared by the scripts: {1} ok, {0, version} conflict, version -1 = no record. */
const NO_RECORD = -1

// KEYS: record, index. ARGV: expected version ('' = must not exist), new version, json, id, channel.
const PUT = `
local current = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '' then
  if current then return {0, tonumber(current)} end
elseif not current then
  return {0, ${NO_RECORD}}
elseif current ~= ARGV[1] then
  return {0, tonumber(current)}
end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'json', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[4])
return {1}
`

// KEYS: record, index. ARGV: expected version, id, channel.
const REMOVE = `
local current = redis.call('HGET', KEYS[1], 'version')
if not current then return {0, ${NO_RECORD}} end
if current ~= ARGV[1] then return {0, tonumber(current)} end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[2])
return {1}
`

// KEYS: counter. ARGV: floor. Raises the counter to the floor, never lowers it.
const SEED = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if floor > current then redis.call('SET', KEYS[1], floor) end
return 0
`

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')
const SCRIPTS = { put: { text: PUT, sha: sha1(PUT) }, remove: { text: REMOVE, sha: sha1(REMOVE) }, seed: { text: SEED, sha: sha1(SEED) } }

/** EVALSHA, falling back to EVAL once when the server has not cached the script (fresh or flushed). */
async function runScript(redis: Redis, script: { text: string; sha: string }, keys: string[], args: Array<string | number>): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args)
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
    return await redis.eval(script.text, keys.length, ...keys, ...args)
  }
}

function toPutResult(reply: unknown): PutResult {
  const [ok, version] = reply as [number, number?]
  if (ok === 1) return { ok: true }
  return { ok: false, actualVersion: version === undefined || version === NO_RECORD ? null : version }
}

/** The channel on which every successful put/remove announces the experiment id. */
export const changesChannel = (prefix: string) => `${prefix}:changes`

export interface RedisStateStoreOptions {
  /** A command connection (not one in subscriber mode). The caller owns and closes it. */
  redis: Redis
  /** Key prefix, e.g. `runway` or a per-test one; contains no spaces. */
  prefix: string
}

/** Live experiment state in Redis, shared by every controller and API replica. */
export class RedisStateStore implements StateStore {
  private readonly redis: Redis
  private readonly prefix: string

  constructor({ redis, prefix }: RedisStateStoreOptions) {
    this.redis = redis
    this.prefix = prefix
  }

  private recordKey(id: string): string {
    return `${this.prefix}:exp:${id}`
  }

  private get indexKey(): string {
    return `${this.prefix}:exps`
  }

  async get(id: string): Promise<ExperimentRecord | null> {
    const json = await this.redis.hget(this.recordKey(id), 'json')
    return json === null ? null : (JSON.parse(json) as ExperimentRecord)
  }

  async list(): Promise<ExperimentRecord[]> {
    const ids = (await this.redis.smembers(this.indexKey)).sort()
    if (ids.length === 0) return []
    const pipeline = this.redis.pipeline()
    for (const id of ids) pipeline.hget(this.recordKey(id), 'json')
    const replies = (await pipeline.exec()) ?? []
    const records: ExperimentRecord[] = []
    for (const [error, json] of replies) {
      if (error) throw error
      // A record removed between SMEMBERS and HGET is simply gone.
      if (typeof json === 'string') records.push(JSON.parse(json) as ExperimentRecord)
    }
    return records
  }

  async put(record: ExperimentRecord, expectedVersion: number | null): Promise<PutResult> {
    const id = record.spec.id
    const reply = await runScript(this.redis, SCRIPTS.put, [this.recordKey(id), this.indexKey], [
      expectedVersion === null ? '' : String(expectedVersion),
      String(record.version),
      JSON.stringify(record),
      id,
      changesChannel(this.prefix),
    ])
    return toPutResult(reply)
  }

  async remove(id: string, expectedVersion: number): Promise<PutResult> {
    const reply = await runScript(this.redis, SCRIPTS.remove, [this.recordKey(id), this.indexKey], [
      String(expectedVersion),
      id,
      changesChannel(this.prefix),
    ])
    return toPutResult(reply)
  }

  async nextVerdictSeq(id: string): Promise<number> {
    return this.redis.incr(`${this.prefix}:vseq:${id}`)
  }

  async seedVerdictSeq(id: string, seq: number): Promise<void> {
    await runScript(this.redis, SCRIPTS.seed, [`${this.prefix}:vseq:${id}`], [Math.floor(seq)])
  }
}

/**
 * Calls `onChange(experimentId)` for every put/remove under `prefix`, so an API
 * replica can drop or refresh its cached gate config. `subscriber` is put in
 * subscriber mode (it can run no other commands while subscribed); the returned
 * function unsubscribes and detaches the listener, leaving the connection open.
 * Pub/sub is at-most-once: a replica that was disconnected should reload everything.
 */
export async function subscribeChanges(
  subscriber: Redis,
  prefix: string,
  onChange: (experimentId: string) => void,
): Promise<() => Promise<void>> {
  const channel = changesChannel(prefix)
  const listener = (from: string, message: string) => {
    if (from === channel) onChange(message)
  }
  subscriber.on('message', listener)
  await subscriber.subscribe(channel)
  return async () => {
    subscriber.off('message', listener)
    await subscriber.unsubscribe(channel)
  }
}
