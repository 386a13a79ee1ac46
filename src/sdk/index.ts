/**
 * Runway's SDK for services: `import { RunwayClient } from 'runway/sdk'`.
 * Local evaluation (same hash as the server and the SQL), streamed config,
 * exposure and telemetry helpers, and an OpenFeature provider.
 */
export { RunwayClient, type ChangeListener, type ClientStatus, type RunwayClientOptions } from './client.js'
export { ExposureLogger, type ExposureLoggerOptions, type ExposureStats } from './exposure-logger.js'
export { Telemetry, httpSink, kafkaSink, type TelemetryEvent, type TelemetryOptions, type TelemetrySink } from './telemetry.js'
export { Batcher, type BatcherOptions, type BatcherStats } from './batcher.js'
export { RunwayProvider, type RunwayProviderOptions } from './openfeature-provider.js'
export { GateConfigSchema, checkGateConfig, type GateConfig, type GateExperiment } from '../domain/gate-config.js'
export type { Evaluation } from '../domain/fast-assignment.js'
