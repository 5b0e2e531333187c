# Two groups with two observed exogenous covariates on complete data (fixed.x = TRUE):
# a saturated mean structure per group, intercepts as lavaan reports them.
f <- sem(m, data = d, group = "g")
write_fit(fitMeasures(f, c("npar", "chisq", "df", "baseline.chisq", "baseline.df", "cfi",
                           "tli", "rmsea", "srmr", "logl", "aic", "bic")))
pe <- parameterEstimates(f, standardized = TRUE)
write.csv(pe[, c("lhs", "op", "rhs", "group", "est", "se", "std.all")], "{EST}",
          row.names = FALSE)
