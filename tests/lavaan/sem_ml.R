# A model of the test fitted by lavaan's sem() with its defaults (ML).
f <- sem(m, data = d)
write_fit(c(fitMeasures(f, c("chisq", "df", "cfi", "tli", "rmsea", "srmr")),
            converged = lavInspect(f, "converged")))
write_est(f)
