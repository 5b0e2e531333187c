# Political Democracy with labels and defined indirect/total effects (delta method).
f <- sem(m, data = d)
write_fit(fitMeasures(f, c("chisq", "df")))
write_est(f)
