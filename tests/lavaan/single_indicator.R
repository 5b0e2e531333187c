# CCSI model as q.to_lavaan() writes it, with the single indicator's error variance fixed
# at 0 (what crmsurvey does for a one-indicator factor).
suppressMessages(library(lavaan))
d <- read.csv("{DATA}")
m <- '
IMAG =~ imag1 + imag2 + imag3
EXPE =~ expe1 + expe2 + expe3
QUAL =~ qual1 + qual2 + qual3 + qual4
VAL  =~ val1 + val2
SAT  =~ sat1 + sat2 + sat3
COMP =~ comp1
LOY  =~ loy1 + loy2
EXPE ~ IMAG
QUAL ~ EXPE
VAL  ~ EXPE + QUAL
SAT  ~ IMAG + EXPE + QUAL + VAL
COMP ~ SAT
LOY  ~ IMAG + SAT + COMP
comp1 ~~ 0*comp1
'
f <- sem(m, data = d)
fm <- fitMeasures(f, c("chisq", "df", "cfi", "tli", "rmsea", "srmr"))
write.csv(data.frame(measure = names(fm), value = as.numeric(fm)), "{FIT}", row.names = FALSE)
write.csv(parameterEstimates(f, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "std.all")],
          "{EST}", row.names = FALSE)
