# Holzinger–Swineford items cut into four ordered categories, three-factor CFA by WLSMV
# (every item ordered; lavaan's defaults: delta parameterisation, scaled-shifted test).
suppressMessages(library(lavaan))
d <- read.csv("{DATA}")
m <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
f <- cfa(m, data = d, ordered = names(d), estimator = "WLSMV")
names <- c("npar", "chisq", "df", "chisq.scaled", "df.scaled", "pvalue.scaled",
           "chisq.scaling.factor", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr")
fm <- fitMeasures(f, names)
shift <- lavInspect(f, "test")$scaled.shifted$shift.parameter
write.csv(data.frame(measure = c(names(fm), "shift"), value = c(as.numeric(fm), shift)),
          "{FIT}", row.names = FALSE)
write.csv(parameterEstimates(f, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "std.all")],
          "{EST}", row.names = FALSE)
