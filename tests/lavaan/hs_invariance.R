# Holzinger–Swineford by school: configural, metric (equal loadings) and scalar (equal
# loadings and intercepts; latent means free in the second group) invariance.
fits <- list(configural = cfa(m, data = d, group = "school"),
             metric = cfa(m, data = d, group = "school", group.equal = "loadings"),
             scalar = cfa(m, data = d, group = "school",
                          group.equal = c("loadings", "intercepts")))
values <- unlist(lapply(fits, fitMeasures, c("npar", "chisq", "df", "cfi", "tli", "rmsea")))
write_fit(setNames(values, sub(".", "_", names(values), fixed = TRUE)))
pe <- parameterEstimates(fits$scalar)
pe <- pe[pe$op == "~1" & pe$lhs %in% lavNames(fits$scalar, "lv"), ]
write.csv(data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$group, est = pe$est, se = pe$se,
                     std.all = NA), "{EST}", row.names = FALSE)
