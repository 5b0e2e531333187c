# Holzinger–Swineford three-factor CFA, FIML (missing = "ml") on data with planted holes.
suppressMessages(library(lavaan))
d <- read.csv("{DATA}")
m <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
f <- cfa(m, data = d, missing = "ml")
names <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "cfi", "tli", "rmsea", "srmr",
           "logl", "aic", "bic", "ntotal")
fm <- fitMeasures(f, names)
write.csv(data.frame(measure = names(fm), value = as.numeric(fm)), "{FIT}", row.names = FALSE)
write.csv(parameterEstimates(f, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "std.all")],
          "{EST}", row.names = FALSE)
