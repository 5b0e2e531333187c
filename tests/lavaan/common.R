# Sourced before every reference script: lavaan, the test's data as `d`, the test's model
# as `m`, and the two outputs the test reads back.
suppressMessages(library(lavaan))
d <- read.csv("{DATA}")
m <- '{MODEL}'
write_fit <- function(values) {
  write.csv(data.frame(measure = names(values), value = as.numeric(values)), "{FIT}",
            row.names = FALSE)
}
write_est <- function(f) {
  pe <- parameterEstimates(f, standardized = TRUE)
  write.csv(pe[, c("lhs", "op", "rhs", "est", "se", "std.all")], "{EST}", row.names = FALSE)
}
