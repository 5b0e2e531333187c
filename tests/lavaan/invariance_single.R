# Robust invariance (MLM, MLR) of a CFA with a single-item factor, as lavaan fits it: the
# model as the test writes it (`m`, no line about the single item: lavaan fixes its
# residual variance to 0 itself), group = "g", configural / metric ("loadings") / scalar
# (c("loadings", "intercepts")). FIT: "<estimator>:<model>:<measure>" and the scaled
# differences of lavTestLRT ("<estimator>:<model>:delta.chisq", ".df", ".pvalue");
# EST: the scalar model's implied latent means lavInspect(fit, "mean.lv") (op "mean.lv",
# rhs the group) with the SEs of the latent ~1 rows, and the single item's residual
# variance (op "~~") in every group.
measures <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "chisq.scaled",
              "chisq.scaling.factor", "pvalue.scaled", "cfi.robust", "tli.robust",
              "rmsea.robust")
equal <- list(configural = "", metric = "loadings",
              scalar = c("loadings", "intercepts"))
values <- c(); rows <- list()
for (e in c("MLM", "MLR")) {
  fits <- lapply(equal, function(ge) cfa(m, data = d, group = "g", group.equal = ge,
                                         estimator = e))
  for (k in names(fits)) {
    fm <- fitMeasures(fits[[k]], measures)
    values <- c(values, setNames(as.numeric(fm), paste(e, k, names(fm), sep = ":")))
  }
  for (k in c("metric", "scalar")) {
    before <- if (k == "metric") "configural" else "metric"
    t <- lavTestLRT(fits[[before]], fits[[k]])
    values[paste(e, k, c("delta.chisq", "delta.df", "delta.pvalue"), sep = ":")] <-
      c(t[2, "Chisq diff"], t[2, "Df diff"], t[2, "Pr(>Chisq)"])
  }
  s <- fits$scalar
  pe <- parameterEstimates(s)
  groups <- lavInspect(s, "group.label")
  means <- lavInspect(s, "mean.lv")
  for (i in seq_along(groups)) {
    lv <- means[[i]]
    ints <- pe[pe$op == "~1", ]
    se <- ints$se[match(paste(names(lv), i), paste(ints$lhs, ints$group))]
    rows[[length(rows) + 1]] <- data.frame(estimator = e, lhs = names(lv), op = "mean.lv",
                                           rhs = groups[i], est = as.numeric(lv), se = se)
  }
  res <- pe[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs %in% lavNames(s, "ov.ind") &
            pe$se == 0, ]
  rows[[length(rows) + 1]] <- data.frame(estimator = e, lhs = res$lhs, op = "~~",
                                         rhs = groups[res$group], est = res$est, se = NA)
}
write_fit(values)
write.csv(do.call(rbind, rows), "{EST}", row.names = FALSE)
