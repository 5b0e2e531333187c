# Scalar invariance of a model with a structural path (loadings and intercepts equal
# across groups): the implied latent means of every group, lavInspect(fit, "mean.lv").
fit <- sem(m, data = d, group = "g", group.equal = c("loadings", "intercepts"))
means <- lavInspect(fit, "mean.lv")
rows <- do.call(rbind, lapply(names(means), function(g)
  data.frame(lhs = names(means[[g]]), op = "mean.lv", rhs = g, est = as.numeric(means[[g]]),
             se = NA, std.all = NA)))
write.csv(rows, "{EST}", row.names = FALSE)
write_fit(fitMeasures(fit, c("chisq", "df")))
