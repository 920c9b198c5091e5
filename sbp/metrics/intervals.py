"""Confidence limits for a rate from a count, and the trend test's critical values: the one home of their constants.

A rate's 95% and 99.8% limits are Public Health England's (Fingertips, PHEindicatormethods `phe_rate`): for a count
of 10 or more Byar's approximation, lower = O (1 - 1/(9 O) - z / (3 sqrt O))^3 and upper = (O + 1) (1 - 1/(9 (O + 1))
+ z / (3 sqrt(O + 1)))^3; below 10 the exact Poisson limits, lower = chi2(alpha/2; 2 O) / 2 and upper =
chi2(1 - alpha/2; 2 O + 2) / 2, from the tables below (worked out with scipy.stats.chi2, checked against it by
tests/unit/test_intervals.py), so the metrics layer needs no scipy. Each limit is over the rate's own denominator,
per 1,000 as the rate. Pure Python, no numpy: queries.py builds its SQL from here.
"""

from __future__ import annotations

# The two confidence levels every rate is shown with; their column suffixes ('95', '998') name them.
LEVELS = ("95", "998")
CONFIDENCE = {"95": 95.0, "998": 99.8}
# The standard normal quantile for each level's two-sided interval: z(1 - alpha / 2).
Z = {"95": 1.959963984540054, "998": 3.090232306167813}
EXACT_BELOW = 10  # counts below this get the exact Poisson limits (Byar's approximation is poor there)
EXACT_LOWER = {
    "95": (0.0, 0.025317807984289897, 0.24220927854396507, 0.6186721228956015, 1.089865373626325,
           1.623486390118421, 2.201894253490851, 2.814363051519867, 3.4538321767485023, 4.115373097378334),
    "998": (0.0, 0.0010005003335835346, 0.045402017769489565, 0.19053337756840327, 0.42855241362842295,
            0.7393717319178327, 1.1071046602556396, 1.5203362603988093, 1.9708139217403662, 2.452424404363775),
}
EXACT_UPPER = {
    "95": (3.6888794541139354, 5.571643390938898, 7.22468766772396, 8.767273069742323, 10.241588675403694,
           11.66833207932267, 13.059474022518685, 14.422675361702376, 15.763189220193313, 17.084803451419166),
    "998": (6.907755278982137, 9.233413476451585, 11.228872242412661, 13.06224077918807, 14.79414922253721,
            16.454745203680105, 18.061636840199064, 19.626177395384232, 21.15619816583998, 22.65737330906293),
}
# A comparison with the comparator needs at least this many offences this year: below it, "not compared".
BENCHMARK_MIN_COUNT = 5
# The trend test's data points: this many consecutive, non-overlapping rolling years ending at the period end.
TREND_POINTS = 5


def level_of(confidence: float) -> str:
    """The column suffix ('95', '998') of a confidence setting (95 or 99.8)."""
    return next(k for k, v in CONFIDENCE.items() if v == float(confidence))


def limit_sql(count: str, population: str, level: str, side: str) -> str:
    """SQL for one confidence limit of count per 1,000 of population (NULL when either is unknown or population <= 0).

    count and population are SQL expressions over trusted column names (never user input).
    """
    z = Z[level]
    if side == "lower":
        exact, o, sign = EXACT_LOWER[level], f"greatest({count}, 1)", "-"
    else:
        exact, o, sign = EXACT_UPPER[level], f"greatest({count}, 0) + 1", "+"
    table = "[" + ", ".join(repr(v) for v in exact) + "]::DOUBLE[]"
    byar = f"({o}) * pow(1 - 1 / (9.0 * ({o})) {sign} {z!r} / (3 * sqrt({o})), 3)"
    return (f"CASE WHEN {count} IS NULL OR {count} < 0 OR coalesce({population}, 0) <= 0 THEN NULL "
            f"WHEN {count} < {EXACT_BELOW} THEN list_extract({table}, ({count})::INTEGER + 1) * 1000.0 / {population} "
            f"ELSE {byar} * 1000.0 / {population} END")


def limit_columns(count: str, population: str, prefix: str = "rate") -> str:
    """SQL select-list items: every level's lower and upper limit as {prefix}_lower_95_per_1000, ... ."""
    return ",\n       ".join(f"{limit_sql(count, population, level, side)} AS {prefix}_{side}_{level}_per_1000"
                             for level in LEVELS for side in ("lower", "upper"))


def limit_names(prefix: str = "rate") -> tuple[str, ...]:
    """The column names limit_columns gives, in its order."""
    return tuple(f"{prefix}_{side}_{level}_per_1000" for level in LEVELS for side in ("lower", "upper"))
