# Holzinger–Swineford items cut into ordered categories: thresholds and polychoric
# correlations (two-step), lavaan's lavCor with every item ordered.
f <- lavCor(d, ordered = names(d), output = "fit")
pe <- parameterEstimates(f)
th <- pe[pe$op == "|", ]
write_fit(setNames(th$est, paste(th$lhs, th$rhs, sep = "|")))
co <- pe[pe$op == "~~" & pe$lhs != pe$rhs, ]
write.csv(data.frame(lhs = co$lhs, op = co$op, rhs = co$rhs, est = co$est,
                     se = rep(NA, nrow(co)), std.all = rep(NA, nrow(co))), "{EST}",
          row.names = FALSE)
