# WLSMV cases on one data set in one R session: for each case of {CASES} (case, model,
# ordered (items joined by "+"), std_lv, group, group_equal (joined by "+"), orthogonal)
# lavaan's sem() with estimator = "WLSMV"; fitMeasures (and R² as r2.<variable>.<group>)
# go to FIT as "case:measure", parameterEstimates (with group) to EST.
cases <- read.csv("{CASES}", stringsAsFactors = FALSE)
fits <- list(); ests <- list()
for (i in seq_len(nrow(cases))) {
  k <- cases[i, ]
  args <- list(model = k$model, data = d, estimator = "WLSMV",
               ordered = strsplit(k$ordered, "+", fixed = TRUE)[[1]],
               std.lv = as.logical(k$std_lv), orthogonal = as.logical(k$orthogonal))
  if (nchar(k$group) > 0) args$group <- k$group
  if (nchar(k$group_equal) > 0) {
    args$group.equal <- strsplit(k$group_equal, "+", fixed = TRUE)[[1]]
  }
  f <- do.call("sem", args)
  fm <- fitMeasures(f, c("npar", "chisq", "df", "chisq.scaled", "chisq.scaling.factor",
                         "baseline.chisq", "baseline.chisq.scaled", "cfi", "tli",
                         "rmsea", "cfi.scaled", "tli.scaled", "rmsea.scaled",
                         "cfi.robust", "tli.robust", "rmsea.robust", "srmr"))
  fm <- c(fm, chisq.shift.parameter =
            lavInspect(f, "test")$scaled.shifted$shift.parameter)
  r2 <- lavInspect(f, "r2")
  if (!is.list(r2)) r2 <- list(r2)
  for (g in seq_along(r2)) {
    fm <- c(fm, setNames(r2[[g]], paste("r2", names(r2[[g]]), g, sep = ".")))
  }
  fits[[i]] <- data.frame(measure = paste(k$case, names(fm), sep = ":"),
                          value = as.numeric(fm))
  pe <- parameterEstimates(f, standardized = TRUE)
  if (is.null(pe$group)) pe$group <- 1L
  ests[[i]] <- data.frame(case = k$case, lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                          group = pe$group, est = pe$est, se = pe$se,
                          std.all = pe$std.all, std.lv = pe$std.lv)
}
write.csv(do.call(rbind, fits), "{FIT}", row.names = FALSE)
write.csv(do.call(rbind, ests), "{EST}", row.names = FALSE)
