import { Command, Option } from 'commander'
import { loadConfig, type RunwayConfig } from '../config.js'
import { RunwayError } from '../errors.js'
// Commands load lazily: `validate` should not pay for starting the ClickHouse engine.
const commands = {
  act: () => import('./commands/act.js'),
  queue: () => import('./commands/queue.js'),
  analyze: () => import('./commands/analyze.js'),
  audit: () => import('./commands/audit.js'),
  calibrate: () => import('./commands/calibrate.js'),
  plan: () => import('./commands/plan.js'),
  enqueue: () => import('./commands/enqueue.js'),
  migrate: () => import('./commands/migrate.js'),
  serve: () => import('./commands/serve.js'),
  simulate: () => import('./commands/simulate.js'),
  status: () => import('./commands/status.js'),
  export: () => import('./commands/export.js'),
  slis: () => import('./commands/slis.js'),
  interference: () => import('./commands/interference.js'),
  token: () => import('./commands/token.js'),
  validate: () => import('./commands/validate.js'),
  policy: () => import('./commands/policy.js'),
}
import { CliExit } from './output.js'
import { useToken } from './client.js'

function config(opts: { dataDir?: string; port?: string; host?: string; role?: RunwayConfig['role'] }): RunwayConfig {
  return loadConfig(process.env, {
    ...(opts.role ? { role: opts.role } : {}),
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.port ? { port: Number(opts.port) } : {}),
    ...(opts.host ? { host: opts.host } : {}),
  })
}

function tokenFromEnv(): string | null {
  try {
    return loadConfig(process.env).token
  } catch {
    return null
  }
}

const serverOption = () => new Option('--server <url>', 'Runway server URL (default: $RUNWAY_URL or http://127.0.0.1:8080)')

export function program(): Command {
  const p = new Command('runway')
    .description('Runway: an experiment queue with a stream-analytics measurement pipeline')
    .showHelpAfterError()
    // Every call to a server carries RUNWAY_TOKEN; a command that needs valid configuration reports a bad one itself.
    .hook('preAction', () => useToken(tokenFromEnv()))
  p.command('validate')
    .description('check an experiment spec (YAML or JSON; - for stdin) and print every problem with its path')
    .argument('<file>')
    .option('--metric-catalog <file>', 'metric catalog that names in the spec refer to (default: $RUNWAY_METRIC_CATALOG, as `runway serve`)')
    .action(async (file: string, o: { metricCatalog?: string }) => (await commands.validate()).validateCommand(file, o))
  p.command('policy')
    .description('the policy engine')
    .command('check')
    .description('print every policy rule a spec fails, as an enqueue (or start, or ramp) would be refused; exit 1 when refused')
    .argument('<spec>', 'spec file (YAML or JSON; - for stdin)')
    .option('--policy <file>', 'policy file (default: $RUNWAY_POLICY_FILE, else the built-in defaults)')
    .addOption(new Option('--phase <phase>', 'which checks').choices(['enqueue', 'start', 'ramp']).default('enqueue'))
    .option('--step <n>', 'rollout step moved to, 1-based (default: 1 at start, 2 at ramp)')
    .option('--at <time>', 'evaluate at this RFC 3339 time (freeze windows; default: now)')
    .option('--json', 'print JSON')
    .action(async (file: string, o) => (await commands.policy()).policyCheckCommand(file, config({}).policy, o))
  p.command('enqueue')
    .description('enqueue an experiment spec on a running server')
    .argument('<file>')
    .addOption(serverOption())
    .option('--actor <name>', 'who to record as the actor (default: $USER)')
    .action(async (file: string, o: { server?: string; actor?: string }) => {
      const c = config({})
      await (await commands.enqueue()).enqueueCommand(file, { server: o.server ?? c.serverUrl, actor: o.actor ?? c.actor })
    })
  p.command('export')
    .description("write an experiment's unit-level data and per-look results to files (Parquet or CSV) for offline work")
    .argument('<id>', 'experiment id')
    .addOption(serverOption())
    .option('--format <format>', 'parquet or csv', 'parquet')
    .option('--out <dir>', 'directory to write <id>-unit-metrics.<ext> and <id>-results.<ext> into', '.')
    .option('--clickhouse-path <path>', "where the server mounts its ClickHouse interface (RUNWAY_CLICKHOUSE_HTTP_PREFIX)", '/clickhouse')
    .action(async (id: string, o: { server?: string; format: 'parquet' | 'csv'; out: string; clickhousePath: string }) => {
      const c = config({})
      await (await commands.export()).exportCommand(id, { server: o.server ?? c.serverUrl, token: c.token, format: o.format, out: o.out, clickhousePath: o.clickhousePath })
    })
  p.command('status')
    .description('list experiments with state, step and exposure')
    .addOption(serverOption())
    .option('--json', 'print JSON')
    .action(async (o: { server?: string; json?: boolean }) => (await commands.status()).statusCommand({ server: o.server ?? config({}).serverUrl, json: o.json }))
  p.command('slis')
    .description("an experiment's SLI series per variant: events, mean, p50-p99 per bucket")
    .argument('<id>')
    .addOption(serverOption())
    .option('--metric <name>', 'a metric of the spec (default: the primary)')
    .addOption(new Option('--window <w>', 'bucket: 1m, 5m, 1h, or one bucket since start / since the last ramp').choices(['1m', '5m', '1h', 'start', 'ramp']).default('5m'))
    .option('--json', 'print JSON')
    .action(async (id: string, o: { server?: string; metric?: string; window?: string; json?: boolean }) => (await commands.slis()).slisCommand(id, { ...o, server: o.server ?? config({}).serverUrl }))
  p.command('interference')
    .description('pairs of running experiments that share units: interaction Δ per shared metric, always-valid CI, BH-adjusted p, status')
    .argument('[id]', 'only the pairs this experiment is in')
    .addOption(serverOption())
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, o: { server?: string; json?: boolean }) => (await commands.interference()).interferenceCommand(id, { ...o, server: o.server ?? config({}).serverUrl }))
  p.command('migrate')
    .description('apply SQL migrations to the embedded warehouse (safe to run twice)')
    .option('--data-dir <dir>', 'data directory (default: $RUNWAY_DATA_DIR or ./data)')
    .action(async (o: { dataDir?: string }) => (await commands.migrate()).migrateCommand(config(o)))
  p.command('serve')
    .description('run Runway: API, evaluation jobs and controller (--role splits them across processes)')
    .option('--data-dir <dir>', 'data directory (default: $RUNWAY_DATA_DIR or ./data)')
    .option('--host <host>', 'listen address (default: $RUNWAY_HOST or 127.0.0.1)')
    .option('--port <port>', 'listen port (default: $RUNWAY_PORT or 8080)')
    .addOption(new Option('--role <role>', 'what this process runs (default: $RUNWAY_ROLE or all)').choices(['api', 'worker', 'controller', 'all']))
    .action(async (o: { dataDir?: string; host?: string; port?: string; role?: RunwayConfig['role'] }) => (await commands.serve()).serveCommand(config(o)))
  p.command('simulate')
    .description('run a scenario of synthetic traffic in accelerated time through the real ingest path; ends with the interference job\'s latest pairs')
    .argument('<scenario>', 'scenario YAML file (e.g. scenarios/demo.yaml; shared populations and interactions: docs/interference.md)')
    .option('--json', 'print only the summary as JSON: experiments, and interference (the job\'s latest rows)')
    .option('--data-dir <dir>', 'keep the warehouse in this directory (default: a temporary one)')
    .option('--realtime', 'run on the wall clock (scenario durations are real time)')
    .option('--server <url>', 'drive this running runway (embedded or distributed) instead of starting one; real time')
    .addOption(new Option('--telemetry <path>', 'with --server: how telemetry is sent').choices(['http', 'kafka']).default('http'))
    .action(async (file: string, o: { json?: boolean; dataDir?: string; realtime?: boolean; server?: string; telemetry?: 'http' | 'kafka' }) => {
      await (await commands.simulate()).simulateCommand(file, config({}), {
        json: o.json,
        realtime: o.realtime,
        telemetry: o.telemetry,
        ...(o.server ? { server: o.server } : {}),
        ...(o.dataDir ? { keepData: o.dataDir } : {}),
      })
    })
  p.command('demo')
    .description('run the built-in three-experiment scenario (healthy ramp, rollback, stale telemetry)')
    .option('--json', 'print only the summary as JSON')
    .action(async (o: { json?: boolean }) => {
      const sim = await commands.simulate()
      await sim.simulateCommand(sim.DEMO_SCENARIO, config({}), { json: o.json })
    })
  p.command('queue')
    .description('waiting experiments: place in their layer, aged priority and exactly why each waits; stuck ones')
    .addOption(serverOption())
    .option('--json', 'print JSON')
    .action(async (o: { server?: string; json?: boolean }) => (await commands.queue()).queueCommand({ server: o.server ?? config({}).serverUrl, json: o.json }))
  const ACTIONS: Array<[string, string]> = [
    ['pause', 'pause a running experiment (exposure stops at once)'],
    ['resume', 'resume a paused experiment at its current step'],
    ['rollback', 'roll an experiment back (exposure stops; final)'],
    ['cancel', 'cancel an experiment that has not ended'],
    ['approve', 'approve the ramp that waits for a human'],
    ['archive', 'archive an ended experiment'],
  ]
  for (const [action, description] of ACTIONS) {
    p.command(action)
      .description(description)
      .argument('<experiment>')
      .requiredOption('--reason <text>', 'why (recorded on the ledger)')
      .addOption(serverOption())
      .option('--actor <name>', 'who to record as the actor (default: $USER)')
      .action(async (id: string, o: { server?: string; actor?: string; reason: string }) => {
        const c = config({})
        await (await commands.act()).actCommand(action, id, { server: o.server ?? c.serverUrl, actor: o.actor ?? c.actor, reason: o.reason })
      })
  }
  p.command('analyze')
    .description('analyze summary statistics given as JSON (file or - for stdin); prints comparisons as JSON')
    .argument('<file>')
    .action(async (file: string) => (await commands.analyze()).analyzeCommand(file))
  p.command('plan')
    .description('sample size and duration for each statistical method, for a spec at a given traffic')
    .argument('<spec>')
    .requiredOption('--traffic <n/day>', 'units entering the experiment per day, e.g. 20000/day or 20k/day')
    .requiredOption('--baseline <x>', "the primary metric's current mean (a rate for proportions)")
    .option('--sd <s>', 'per-unit standard deviation (mean metrics)')
    .addOption(new Option('--metric-type <type>', 'metric type').choices(['mean', 'proportion']).default('proportion'))
    .option('--power <p>', 'target power', '0.8')
    .option('--json', 'print JSON')
    .action(async (file: string, o) => (await commands.plan()).planCommand(file, o))
  p.command('calibrate')
    .description('seeded A/A and A/B simulations with repeated looks: false-positive rate, power, stopping time per method')
    .option('--seed <n>', 'random seed', '1')
    .option('--experiments <n>', 'simulated experiments per method and scenario', '2000')
    .option('--looks <n>', 'looks per experiment', '100')
    .option('--units-per-look <n>', 'units added per arm between looks', '50')
    .option('--alpha <a>', 'significance level', '0.05')
    .option('--effect <σ>', 'true effect in the A/B scenario, in standard deviations (default: 80% power for a fixed-horizon test)')
    .option('--methods <list>', 'comma-separated: welch-fixed,welch-naive,msprt,confseq,gst')
    .option('--tuning-n <n>', 'confidence-sequence N*')
    .option('--tau <τ>', 'mSPRT mixing standard deviation (in σ units)')
    .option('--guardrails', 'rare-event guardrail power table instead: base rates 0.1–2%, treatment ×1/×1.5/×2/×3, per τ rule')
    .option('--units-per-arm <n>', 'with --guardrails: units per arm at the last look', '5000')
    .option('--json', 'print JSON')
    .action(async (o) => (await commands.calibrate()).calibrateCommand(o))
  const token = p.command('token').description('API tokens (RUNWAY_AUTH=required): create, list, revoke')
  const localOption = () => new Option('--local', 'act on the configured warehouse directly (CLICKHOUSE_URL or $RUNWAY_DATA_DIR), not through a server')
  const dataDirOption = () => new Option('--data-dir <dir>', 'act on this embedded data directory directly (no server may be running on it): how the first admin token is made')
  type TokenOpts = { server?: string; local?: boolean; dataDir?: string; json?: boolean }
  const target = (o: TokenOpts) => (o.local || o.dataDir ? { local: config(o) } : { server: o.server ?? config({}).serverUrl })
  token
    .command('create')
    .description('mint a token; it is printed once (stdout) and stored only as a hash')
    .requiredOption('--role <role>', 'viewer, service, alerter, experimenter, approver or admin')
    .requiredOption('--namespace <ns>', "where the role holds, or '*' for every namespace")
    .option('--name <name>', 'who the ledger records as the actor (default: $USER)')
    .addOption(serverOption())
    .addOption(localOption())
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (o: TokenOpts & { role: string; namespace: string; name?: string }) =>
      (await commands.token()).tokenCreateCommand(target(o), { role: o.role, namespace: o.namespace, name: o.name ?? config({}).actor }, o.json),
    )
  token
    .command('list')
    .description('tokens with role, namespace and revocation (never their secrets)')
    .addOption(serverOption())
    .addOption(localOption())
    .addOption(dataDirOption())
    .option('--json', 'print JSON')
    .action(async (o: TokenOpts) => (await commands.token()).tokenListCommand(target(o), o.json))
  token
    .command('revoke')
    .description('revoke a token by id (other API replicas stop accepting it within RUNWAY_AUTH_CACHE_TTL)')
    .argument('<id>')
    .addOption(serverOption())
    .addOption(localOption())
    .addOption(dataDirOption())
    .action(async (id: string, o: TokenOpts) => (await commands.token()).tokenRevokeCommand(target(o), id))
  const audit = p.command('audit').description('the audit ledger: verify its hash chains, or rebuild state from it')
  for (const [name, what] of [['verify', 'check every hash chain; names each altered, removed, reordered or inserted entry (exit 1)'], ['replay', 'rebuild every experiment from the ledger and compare with the live state (exit 1 on a difference)']] as const) {
    audit
      .command(name)
      .description(what)
      .addOption(serverOption())
      .option('--data-dir <dir>', 'read this embedded data directory instead of asking a server (no live state to compare; keyed entries need RUNWAY_LEDGER_KEY)')
      .option('--json', 'print JSON')
      .action(async (o: { server?: string; dataDir?: string; json?: boolean }) =>
        (await commands.audit()).auditCommand(name, { ...(o.dataDir ? { dataDir: o.dataDir, key: config({}).ledgerKey } : { server: o.server ?? config({}).serverUrl }), json: o.json }),
      )
  }
  return p
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv)
    return 0
  } catch (error) {
    if (error instanceof CliExit) {
      if (error.message) console.error(error.message)
      return error.exitCode
    }
    console.error(describeError(error))
    return 1
  }
}

/**
 * Any failure as a few plain lines: the message, then one `path: message` line per problem.
 * No stack trace: a user can act on a message, not on frames (a bug report still has the message).
 */
export function describeError(error: unknown): string {
  if (error instanceof RunwayError) {
    const problems = Array.isArray(error.details.problems) ? (error.details.problems as Array<{ path: string; message: string }>) : []
    return [`error (${error.code}): ${error.message}`, ...problems.map((p) => `${p.path}: ${p.message}`)].join('\n')
  }
  if (error instanceof Error) {
    const e = error as NodeJS.ErrnoException
    const where = e.path && !e.message.includes(e.path) ? ` (${e.path})` : ''
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : ''
    return `error${e.code ? ` (${e.code})` : ''}: ${e.message}${where}${cause}`
  }
  return `error: ${String(error)}`
}
