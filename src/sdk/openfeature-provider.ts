import {
  ErrorCode,
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  StandardResolutionReasons,
} from '@openfeature/server-sdk'
import type { Attributes } from '../domain/targeting.js'
import { RunwayClient, type RunwayClientOptions } from './client.js'
import type { ExposureLogger } from './exposure-logger.js'

export interface RunwayProviderOptions {
  /** An existing client, or options to create one (the provider then owns and closes it). */
  client: RunwayClient | RunwayClientOptions
  /** Logs an exposure for every bucketed (SPLIT) evaluation. */
  exposures?: ExposureLogger
  /** How long initialize() waits for the first config. Default 5 s. */
  initTimeoutMs?: number
}

/** Context values become targeting attributes (as strings): country, platform, tenant, app_version… */
function attributesOf(context: EvaluationContext): Attributes {
  const out: Attributes = {}
  for (const [k, v] of Object.entries(context)) {
    if (k === 'targetingKey') continue
    if (typeof v === 'string') out[k] = v
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v)
  }
  return out
}

/**
 * OpenFeature provider over a RunwayClient. Flag key = experiment id, targeting key
 * = unit id. Values by type:
 *   string  — the variant name;
 *   boolean — variants named on/true → true, off/false → false; otherwise control
 *             (the first variant) → false and every treatment → true;
 *   number  — a numeric variant name ("10") as that number, otherwise the variant's
 *             index (control = 0);
 *   object  — { experiment, variant, index }.
 * A bucketed unit resolves with reason SPLIT; a unit that is not exposed gets the
 * caller's default with DISABLED (experiment not running: paused, rolled back, …)
 * or DEFAULT (running, but the unit is outside the targeting, allocation or exposure).
 */
export class RunwayProvider implements Provider {
  readonly metadata = { name: 'runway' } as const
  readonly runsOn = 'server' as const
  readonly events = new OpenFeatureEventEmitter()
  readonly client: RunwayClient
  private readonly owned: boolean
  private readonly unlisten: Array<() => void> = []

  constructor(private readonly o: RunwayProviderOptions) {
    this.owned = !(o.client instanceof RunwayClient)
    this.client = o.client instanceof RunwayClient ? o.client : new RunwayClient(o.client)
    this.unlisten.push(
      this.client.onChange((flagsChanged) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged, message: `config version ${this.client.current?.version}` })),
      this.client.onStale((stale) =>
        stale ? this.events.emit(ProviderEvents.Stale, { message: 'no confirmed config from Runway; serving the last one' }) : this.events.emit(ProviderEvents.Ready, { message: 'config current again' }),
      ),
    )
  }

  async initialize(): Promise<void> {
    const status = await this.client.start(this.o.initTimeoutMs ?? 5_000)
    if (status.version === null) throw new Error('no gate config from Runway yet')
  }

  async onClose(): Promise<void> {
    for (const u of this.unlisten.splice(0)) u()
    if (this.owned) this.client.close()
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, defaultValue, context, (variant) => variant)
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, defaultValue, context, (variant, index) => {
      if (variant === 'on' || variant === 'true') return true
      if (variant === 'off' || variant === 'false') return false
      return index > 0
    })
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, defaultValue, context, (variant, index) => (/^-?\d+(\.\d+)?$/.test(variant) ? Number(variant) : index))
  }

  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, defaultValue, context, (variant, index) => ({ experiment: flagKey, variant, index }) as unknown as T)
  }

  private resolve<T>(flagKey: string, defaultValue: T, context: EvaluationContext, map: (variant: string, index: number) => T): ResolutionDetails<T> {
    const experiment = this.client.experiment(flagKey)
    if (!experiment) return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: `no experiment ${flagKey} in the gate config` }
    const unitId = context.targetingKey
    if (!unitId) return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.TARGETING_KEY_MISSING, errorMessage: 'targetingKey (the unit id) is required' }
    const attributes = attributesOf(context)
    const a = this.client.evaluate(flagKey, unitId, attributes)
    const flagMetadata = { experiment: flagKey, state: experiment.state, step: experiment.step, exposure: experiment.exposure, configVersion: this.client.current?.version ?? -1, stale: this.client.stale }
    if (!a.exposed) {
      const reason = a.reason === 'not_running' ? StandardResolutionReasons.DISABLED : StandardResolutionReasons.DEFAULT
      return { value: defaultValue, reason, flagMetadata: { ...flagMetadata, why: a.reason } }
    }
    this.o.exposures?.log({ experimentId: flagKey, variant: a.variant, unitId, attributes })
    const index = experiment.variants.findIndex((v) => v.name === a.variant)
    return { value: map(a.variant, index), variant: a.variant, reason: StandardResolutionReasons.SPLIT, flagMetadata }
  }
}
