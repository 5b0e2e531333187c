# WLSMV with every item ordered: the robust CFI/TLI/RMSEA (Savalei 2021, catML).
f <- cfa(m, data = d, ordered = names(d), estimator = "WLSMV")
write_fit(fitMeasures(f, c("chisq", "chisq.scaled", "cfi.robust", "tli.robust",
                           "rmsea.robust")))
write_est(f)
