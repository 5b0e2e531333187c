# CCSI as q.to_lavaan() writes it, with comp1 ~~ 0*comp1 (the model comes from the test).
f <- sem(m, data = d)
write_fit(fitMeasures(f, c("chisq", "df", "cfi", "tli", "rmsea", "srmr")))
write_est(f)
