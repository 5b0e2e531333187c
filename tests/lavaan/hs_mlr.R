# Holzinger–Swineford CFA with MLR (Huber–White SEs, Yuan–Bentler scaled test);
# missing = "{MISSING}": "listwise" on complete data or "ml" (FIML) with planted holes.
f <- cfa(m, data = d, estimator = "MLR", missing = "{MISSING}")
write_fit(fitMeasures(f, c("chisq", "chisq.scaled", "df.scaled", "pvalue.scaled",
                           "chisq.scaling.factor", "baseline.chisq.scaled",
                           "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled",
                           "rmsea.scaled", "cfi.robust", "tli.robust", "rmsea.robust")))
write_est(f)
