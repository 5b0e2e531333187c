# Holzinger–Swineford items cut into ordered categories: thresholds and polychoric
# correlations (two-step), lavaan's lavCor with every item ordered.
suppressMessages(library(lavaan))
d <- read.csv("{DATA}")
items <- names(d)
fit <- lavCor(d, ordered = items, output = "fit")
pe <- parameterEstimates(fit)
th <- pe[pe$op == "|", ]
write.csv(data.frame(measure = paste(th$lhs, th$rhs, sep = "|"), value = th$est), "{FIT}",
          row.names = FALSE)
co <- pe[pe$op == "~~" & pe$lhs != pe$rhs, ]
write.csv(data.frame(lhs = co$lhs, op = co$op, rhs = co$rhs, est = co$est, se = rep(NA, nrow(co)),
                     std.all = rep(NA, nrow(co))), "{EST}", row.names = FALSE)
