/**
 * Runway's SDK for services: `import { RunwayClient } from 'runway/sdk'` inside this
 * repository, `@runway/sdk` (packages/sdk) for a service. Local evaluation (same hash
 * as the server and the SQL), streamed config, exposure and telemetry helpers, and an
 * OpenFeature provider.
 */
export * from './core.js'
export { RunwayProvider, type RunwayProviderOptions } from './openfeature-provider.js'
