# The same CFA by WLSMV on each bootstrap resample the test wrote (column `rep`): lavaan
# recomputes thresholds, polychorics, weights and estimates for each, as bootstrapLavaan.
out <- do.call(rbind, lapply(split(d, d$rep), function(r) {
  f <- cfa(m, data = r[setdiff(names(r), "rep")], ordered = TRUE, estimator = "WLSMV")
  pe <- parameterEstimates(f)
  data.frame(rep = r$rep[1], name = paste0(pe$lhs, pe$op, pe$rhs), est = pe$est)
}))
write.csv(out, "{EST}", row.names = FALSE)
write_fit(c(n = nrow(d)))
