# Holzinger–Swineford three-factor CFA with Satorra–Bentler robust ML (lavaan's MLM).
f <- cfa(m, data = d, estimator = "MLM")
write_fit(fitMeasures(f, c("chisq", "df", "chisq.scaled", "df.scaled", "pvalue.scaled",
                           "chisq.scaling.factor", "baseline.chisq.scaled",
                           "baseline.chisq.scaling.factor", "cfi.scaled", "tli.scaled",
                           "cfi.robust", "tli.robust", "rmsea.scaled", "rmsea.robust",
                           "srmr")))
write_est(f)
