# MLR with FIML (lavaan's missing = "ml"): Huber–White SEs from the observed information,
# the Yuan–Bentler scaled test and the FIML-corrected robust CFI/TLI/RMSEA.
f <- sem(m, data = d, estimator = "MLR", missing = "ml")
write_fit(fitMeasures(f, c("npar", "logl", "chisq", "chisq.scaled", "chisq.scaling.factor",
                           "baseline.chisq", "baseline.chisq.scaled", "cfi.robust",
                           "tli.robust", "rmsea.robust")))
write_est(f)
