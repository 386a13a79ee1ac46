/** Public API of the statistics engine: pure functions over sufficient statistics. */
export type { StatsStatus } from './status.js'
export type { Moments } from './moments.js'
export { mean, mergeMoments, momentsOf, sampleVariance, validateMoments } from './moments.js'
export type { Sided } from './sided.js'
// fixed horizon
export { welch, type WelchResult } from './welch.js'
export { proportionZTest, type Counts, type ProportionTestResult } from './proportion.js'
export { armEstimate, cupedTheta, type ArmEstimate, type ArmStats, type MetricType } from './arm-estimate.js'
export { estimateEffect, type EffectEstimate, type Lift } from './effect.js'
export { compareArms, testEstimate, type Comparison, type Method, type MethodConfig } from './compare.js'
// sequential
export { defaultTau2, msprt, tau2FromPlannedSampleSize, type MsprtResult, type Tau2Choice } from './msprt.js'
export { confidenceSequence, confseqRho2, confseqTau2, type ConfseqResult } from './confseq.js'
export { spentAlpha, type Spending } from './alpha-spending.js'
export { groupSequential, gstBoundaries, type GstBoundaries, type GstResult } from './gst.js'
// guardrails, SRM, multiplicity
export { guardrail, type BadDirection, type GuardrailResult } from './guardrail.js'
export { srmChiSquare, type SrmChiSquareResult } from './srm.js'
export { sequentialSrm, type SequentialSrmResult } from './srm-sequential.js'
export { benjaminiHochberg, holm } from './multiple-testing.js'
// planning, interference, burn rate
export { fixedHorizonPower, fixedHorizonSampleSize, gstOperatingCharacteristics, gstSampleSize, mixtureSampleSize } from './power.js'
export { plan, type PlanInput, type PlanRow } from './plan.js'
export { interactionContrast, interferenceIndex, seriesCorrelation, type InteractionCells, type InterferencePair } from './interference.js'
export { burnRate, burnRateAlerts, DEFAULT_BURN_RULES, type BurnAlert, type BurnRule, type WindowCounts } from './burn-rate.js'
// commands
export { analyze, type AnalyzeComparison, type AnalyzeOutput } from './analyze.js'
export { analyzeInputSchema, parseAnalyzeInput, type AnalyzeInput, type FieldError } from './analyze-input.js'
export { calibrate, CALIBRATION_METHODS, type CalibrateOptions, type CalibrationMethod, type CalibrationRow } from './calibrate.js'
export { createRng, type Rng } from './random.js'
// distributions
export { normalCdf, normalQuantile, normalQuantileUpper, normalSf } from './normal.js'
export { studentTCdf, studentTQuantileUpper, studentTSf } from './student-t.js'
export { chiSquareSf } from './gamma.js'
// quantiles (tail latency)
export { clusteredFractionVariance, QUANTILE_BOUND_Z, QUANTILE_MIN_TAIL_EVENTS, quantileBoundLevels, quantileEstimate, quantileSampleSufficient, type QuantileArmStats, type QuantileEstimate } from './quantile.js'
export { quantileCompare, type QuantileComparison } from './quantile-compare.js'
export { orderStatistic, quantileArmStatsOf } from './quantile-sample.js'
// proportions at 0% / 100%
export { proportionDegenerate, proportionDifference, proportionTestVariance, wilsonInterval, type ProportionDifference } from './newcombe.js'
// SLO guardrails (burn rate with minimum samples and exact bounds)
export { burnEstimate, clopperPearsonBounds, errorBudgetGate, SLO_MIN_BUDGET_EVENTS, SLO_PAGE_RULES, sloGuardrail, type BurnEstimate, type SloRuleResult } from './slo.js'
export { binomialSample } from './binomial-sample.js'
// mSPRT τ for guardrails, the shared N*, rare-event power
export { DEFAULT_TUNING_N, guardrailTau2, optimalTauRatio, type GuardrailTau } from './msprt-tau.js'
export { GUARDRAIL_BASE_RATES, GUARDRAIL_MULTIPLIERS, guardrailPower, TAU_RULES, type GuardrailPowerOptions, type GuardrailPowerRow, type TauRule } from './guardrail-power.js'
// minimum sample per look from measured skewness
export { lookHasSample, minSamplePerLook, SKEW_SAMPLE_FACTOR, skewnessFromMoments, type SkewMoments } from './min-sample.js'
export { cupedThetaJoint } from './cuped-theta.js'
