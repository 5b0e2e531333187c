# Holzinger–Swineford three-factor CFA with MLR (Huber–White SEs, Yuan–Bentler scaled
# test), {MISSING}: "listwise" on complete data or "ml" (FIML) with planted holes.
suppressMessages(library(lavaan))
d <- read.csv("{DATA}")
m <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
f <- cfa(m, data = d, estimator = "MLR", missing = "{MISSING}")
names <- c("chisq", "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
           "baseline.chisq.scaled", "baseline.chisq.scaling.factor", "cfi.scaled",
           "tli.scaled", "rmsea.scaled", "cfi.robust", "tli.robust", "rmsea.robust")
fm <- fitMeasures(f, names)
write.csv(data.frame(measure = names(fm), value = as.numeric(fm)), "{FIT}", row.names = FALSE)
write.csv(parameterEstimates(f, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "std.all")],
          "{EST}", row.names = FALSE)
