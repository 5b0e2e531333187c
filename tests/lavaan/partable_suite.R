# Many models on one data set in one R session: for each case of {CASES} (case, model,
# std_lv, orthogonal, estimator, group) lavaan's sem() is fitted; its fitMeasures go to
# FIT as "case:measure", its parameterEstimates to EST, its parTable to {PT} and (single
# group ML) its modindices to {MI}.
cases <- read.csv("{CASES}", stringsAsFactors = FALSE)
fits <- list(); ests <- list(); pts <- list(); mis <- list()
for (i in seq_len(nrow(cases))) {
  k <- cases[i, ]
  args <- list(model = k$model, data = d, std.lv = as.logical(k$std_lv),
               orthogonal = as.logical(k$orthogonal), estimator = k$estimator)
  if (nchar(k$group) > 0) args$group <- k$group
  f <- do.call("sem", args)
  fm <- fitMeasures(f, c("npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic",
                         "bic", "logl"))
  fits[[i]] <- data.frame(measure = paste(k$case, names(fm), sep = ":"),
                          value = as.numeric(fm))
  pe <- parameterEstimates(f, standardized = TRUE)
  if (is.null(pe$group)) pe$group <- 1L
  ests[[i]] <- data.frame(case = k$case, lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                          group = pe$group, est = pe$est, se = pe$se,
                          std.lv = pe$std.lv, std.all = pe$std.all)
  if (nchar(k$group) == 0 && k$estimator == "ML") {
    mi <- modindices(f)
    mis[[i]] <- data.frame(case = k$case, lhs = mi$lhs, op = mi$op, rhs = mi$rhs,
                           mi = mi$mi, epc = mi$epc)
  }
  pt <- parTable(f)
  pts[[i]] <- data.frame(case = k$case, pt[, c("id", "lhs", "op", "rhs", "user", "block",
                                               "group", "free", "ustart", "exo", "label",
                                               "plabel")])
}
write.csv(do.call(rbind, fits), "{FIT}", row.names = FALSE)
write.csv(do.call(rbind, ests), "{EST}", row.names = FALSE)
write.csv(do.call(rbind, pts), "{PT}", row.names = FALSE)
write.csv(do.call(rbind, mis), "{MI}", row.names = FALSE)
