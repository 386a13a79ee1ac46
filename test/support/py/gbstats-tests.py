"""Reference values from GrowthBook's gbstats 0.8.0 (an independent engine): fixed-horizon
t-test and its asymptotic confidence sequence (SequentialTwoSidedTTest) for mean, proportion,
ratio and regression-adjusted (CUPED; gbstats estimates θ itself and reports it) statistics, absolute and relative."""
from gbstats.frequentist.tests import (FrequentistConfig, SequentialConfig, SequentialTwoSidedTTest,
                                       TwoSidedTTest)
from gbstats.models.statistics import (ProportionStatistic, RatioStatistic, RegressionAdjustedStatistic,
                                       SampleMeanStatistic)

from _common import run


def stat(kind, s, theta):
    if kind == "mean":
        return SampleMeanStatistic(n=s["n"], sum=s["sum"], sum_squares=s["sumSquares"])
    if kind == "proportion":
        return ProportionStatistic(n=s["n"], sum=s["sum"])
    if kind == "ratio":
        return RatioStatistic(
            n=s["n"],
            m_statistic=SampleMeanStatistic(n=s["n"], sum=s["sum"], sum_squares=s["sumSquares"]),
            d_statistic=SampleMeanStatistic(n=s["n"], sum=s["denominatorSum"], sum_squares=s["denominatorSumSquares"]),
            m_d_sum_of_products=s["crossSum"])
    if kind == "cuped":
        return RegressionAdjustedStatistic(
            n=s["n"],
            post_statistic=SampleMeanStatistic(n=s["n"], sum=s["sum"], sum_squares=s["sumSquares"]),
            pre_statistic=SampleMeanStatistic(n=s["n"], sum=s["covariateSum"], sum_squares=s["covariateSumSquares"]),
            post_pre_sum_of_products=s["covariateCrossSum"], theta=theta)
    raise ValueError(kind)


def handle(c):
    a = stat(c["kind"], c["control"], c.get("theta"))
    b = stat(c["kind"], c["treatment"], c.get("theta"))
    diff = "relative" if c["relative"] else "absolute"
    if c["sequential"]:
        t = SequentialTwoSidedTTest(a, b, SequentialConfig(alpha=c["alpha"], difference_type=diff,
                                                           sequential_tuning_parameter=c["tuningN"]))
    else:
        t = TwoSidedTTest(a, b, FrequentistConfig(alpha=c["alpha"], difference_type=diff))
    r = t.compute_result()
    theta = getattr(t.stat_a, "theta", None)  # gbstats re-estimates θ from the joint sample
    return {"effect": r.expected, "ci": list(r.ci), "p": r.p_value, "se": r.uplift.stddev, "theta": theta}


run(handle)
