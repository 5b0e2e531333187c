# Holzinger–Swineford by school: configural, metric (equal loadings) and scalar (equal
# loadings and intercepts; latent means free in the second group) invariance.
suppressMessages(library(lavaan))
d <- read.csv("{DATA}")
m <- 'visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9'
conf <- cfa(m, data = d, group = "school")
metr <- cfa(m, data = d, group = "school", group.equal = "loadings")
scal <- cfa(m, data = d, group = "school", group.equal = c("loadings", "intercepts"))
names <- c("npar", "chisq", "df", "cfi", "tli", "rmsea")
rows <- list()
for (k in c("configural", "metric", "scalar")) {
  f <- list(configural = conf, metric = metr, scalar = scal)[[k]]
  fm <- fitMeasures(f, names)
  rows[[k]] <- data.frame(measure = paste(k, names(fm), sep = "_"), value = as.numeric(fm))
}
write.csv(do.call(rbind, rows), "{FIT}", row.names = FALSE)
pe <- parameterEstimates(scal)
pe <- pe[pe$op == "~1" & pe$lhs %in% c("visual", "textual", "speed"), ]
write.csv(data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$group, est = pe$est, se = pe$se,
                     std.all = NA), "{EST}", row.names = FALSE)
