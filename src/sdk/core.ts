/**
 * The SDK without its OpenFeature provider: what the standalone package
 * (packages/sdk, `@runway/sdk`) bundles as its main entry, so a service that does
 * not use OpenFeature installs nothing but the SDK. The provider is the package's
 * `@runway/sdk/openfeature` entry; `runway/sdk` inside this repository exports both.
 */
export { RunwayClient, type ChangeListener, type ClientStatus, type RunwayClientOptions } from './client.js'
export { ExposureLogger, type ExposureLoggerOptions, type ExposureStats } from './exposure-logger.js'
export { Telemetry, httpSink, kafkaSink, type TelemetryEvent, type TelemetryOptions, type TelemetrySink } from './telemetry.js'
export { Batcher, type BatcherOptions, type BatcherStats } from './batcher.js'
export { GateConfigSchema, checkGateConfig, type GateConfig, type GateExperiment } from '../domain/gate-config.js'
export type { Evaluation } from '../domain/fast-assignment.js'
