# Holzinger–Swineford three-factor CFA with Satorra–Bentler robust ML (lavaan's MLM).
suppressMessages(library(lavaan))
d <- read.csv("{DATA}")
m <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
f <- cfa(m, data = d, estimator = "MLM")
names <- c("chisq", "df", "chisq.scaled", "df.scaled", "pvalue.scaled",
           "chisq.scaling.factor", "baseline.chisq.scaled", "baseline.chisq.scaling.factor",
           "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust", "rmsea.scaled",
           "rmsea.robust", "srmr")
fm <- fitMeasures(f, names)
write.csv(data.frame(measure = names(fm), value = as.numeric(fm)), "{FIT}", row.names = FALSE)
write.csv(parameterEstimates(f, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "std.all")],
          "{EST}", row.names = FALSE)
