# Holzinger–Swineford CFA by FIML (missing = "ml") on data with planted holes.
f <- cfa(m, data = d, missing = "ml")
write_fit(fitMeasures(f, c("npar", "chisq", "df", "pvalue", "baseline.chisq", "cfi", "tli",
                           "rmsea", "srmr", "logl", "aic", "bic", "ntotal")))
write_est(f)
