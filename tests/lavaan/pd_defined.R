# Political Democracy (lavaan's tutorial model with labels) and defined indirect/total
# effects: delta-method standard errors.
suppressMessages(library(lavaan))
d <- read.csv("{DATA}")
m <- '
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
ab := a*b
total := c + a*b
'
f <- sem(m, data = d)
fm <- fitMeasures(f, c("chisq", "df"))
write.csv(data.frame(measure = names(fm), value = as.numeric(fm)), "{FIT}", row.names = FALSE)
write.csv(parameterEstimates(f, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "std.all")],
          "{EST}", row.names = FALSE)
