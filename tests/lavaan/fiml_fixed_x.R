# FIML with two observed exogenous covariates: lavaan's defaults (fixed.x = TRUE, the
# covariates' moments fixed at their sample values; rows missing a covariate deleted).
f <- sem(m, data = d, missing = "ml", estimator = "{ESTIMATOR}")
write_fit(fitMeasures(f, c("npar", "chisq", "df", "pvalue", "baseline.chisq",
                           "baseline.df", "cfi", "tli", "rmsea", "srmr", "logl",
                           "unrestricted.logl", "aic", "bic", "ntotal",
                           {ROBUST})))
write_est(f)
