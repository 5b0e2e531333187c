# Scalar invariance of a model with a structural path (loadings and intercepts equal
# across groups): the implied latent means of every group, lavInspect(fit, "mean.lv"),
# and their delta-method SEs from the same model written with labels (the test's
# LABELLED), each implied mean a defined parameter `mean_<construct>_<group> := ...`
# (lavaan's own delta method on its expected-information covariance matrix).
fit <- sem(m, data = d, group = "g", group.equal = c("loadings", "intercepts"))
means <- lavInspect(fit, "mean.lv")
rows <- do.call(rbind, lapply(names(means), function(g)
  data.frame(lhs = names(means[[g]]), op = "mean.lv", rhs = g, est = as.numeric(means[[g]]),
             se = NA, std.all = NA)))
labelled <- sem('{LABELLED}', data = d, group = "g",
                group.equal = c("loadings", "intercepts"))
defined <- parameterEstimates(labelled)
defined <- defined[defined$op == ":=", ]
key <- paste0("mean_", rows$lhs, "_", rows$rhs)
rows$se <- defined$se[match(key, defined$lhs)]
write.csv(rows, "{EST}", row.names = FALSE)
write_fit(c(fitMeasures(fit, c("chisq", "df")), labelled_chisq = unname(fitMeasures(labelled, "chisq"))))
