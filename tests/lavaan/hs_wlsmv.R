# Holzinger–Swineford items cut into four ordered categories, CFA by WLSMV (lavaan's
# defaults: delta parameterisation, scaled-shifted test).
f <- cfa(m, data = d, ordered = names(d), estimator = "WLSMV")
write_fit(c(fitMeasures(f, c("npar", "chisq", "df", "chisq.scaled", "df.scaled",
                             "pvalue.scaled", "chisq.scaling.factor", "cfi.scaled",
                             "tli.scaled", "rmsea.scaled", "srmr")),
            shift = lavInspect(f, "test")$scaled.shifted$shift.parameter))
write_est(f)
