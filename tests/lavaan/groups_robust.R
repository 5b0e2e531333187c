# Multi-group robust ML: for each case of {CASES} (case, model, estimator, missing,
# group_equal) lavaan's cfa() with group = "g" (cases named "one_*": one group); its scaled and robust fitMeasures go to
# FIT as "case:measure", its parameterEstimates (with the group) to EST; for each pair of
# {PAIRS} (case, h0, h1) lavTestLRT's scaled difference (method "satorra.bentler.2001",
# its default for MLM/MLR) to {LRT}.
cases <- read.csv("{CASES}", stringsAsFactors = FALSE)
measures <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor", "baseline.chisq", "baseline.df",
              "baseline.chisq.scaled", "baseline.chisq.scaling.factor", "cfi", "tli",
              "rmsea", "cfi.scaled", "tli.scaled", "rmsea.scaled", "cfi.robust",
              "tli.robust", "rmsea.robust", "srmr", "aic", "bic", "logl")
fits <- list(); ests <- list(); models <- list()
for (i in seq_len(nrow(cases))) {
  k <- cases[i, ]
  args <- list(model = k$model, data = d, estimator = k$estimator, missing = k$missing)
  if (!startsWith(k$case, "one_")) args$group <- "g"
  if (!is.na(k$group_equal) && nchar(k$group_equal) > 0) args$group.equal <- strsplit(k$group_equal, " ")[[1]]
  f <- do.call("cfa", args)
  models[[k$case]] <- f
  fm <- fitMeasures(f, measures)
  fits[[i]] <- data.frame(measure = paste(k$case, names(fm), sep = ":"),
                          value = as.numeric(fm))
  pe <- parameterEstimates(f)
  if (is.null(pe$group)) pe$group <- 1L
  ests[[i]] <- data.frame(case = k$case, lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                          group = pe$group, est = pe$est, se = pe$se)
}
write.csv(do.call(rbind, fits), "{FIT}", row.names = FALSE)
write.csv(do.call(rbind, ests), "{EST}", row.names = FALSE)
pairs <- read.csv("{PAIRS}", stringsAsFactors = FALSE)
lrt <- list()
for (i in seq_len(nrow(pairs))) {
  p <- pairs[i, ]
  t <- lavTestLRT(models[[p$h1]], models[[p$h0]])
  lrt[[i]] <- data.frame(case = p$case, chisq_diff = t[2, "Chisq diff"],
                         df_diff = t[2, "Df diff"], pvalue = t[2, "Pr(>Chisq)"])
}
if (length(lrt)) write.csv(do.call(rbind, lrt), "{LRT}", row.names = FALSE)
