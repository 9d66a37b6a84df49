# R reference values for the verdict numbers of tests/test_prevalence.py (claims revisited).
# Run: Rscript tests/reference/make_reference_claims.R  (writes r_reference_claims.json next
# to this script). Each case stores the R call that produced it.
suppressPackageStartupMessages({library(pwr); library(jsonlite)})
crit_or <- 'hc <- qnorm(0.975) * sqrt(1 / N1 + 1 / 620)
p1 <- sin(asin(sqrt(0.5)) - hc / 2)^2
# check: at the critical h the two-sided arcsine test has P = 0.05
p_at <- 2 * pnorm(-hc / sqrt(1 / N1 + 1 / 620))
# the same by the chi-square test without correction (prop.test), solved for p1
f <- function(p) prop.test(c(p * N1, 0.5 * 620), c(N1, 620), correct = FALSE)$p.value - 0.05
p1_chisq <- uniroot(f, c(0.01, 0.499), tol = 1e-12)$root
c(h = hc, or = (p1 / (1 - p1)), p_at = p_at, or_chisq = p1_chisq / (1 - p1_chisq),
  min_detectable_h = pwr.2p2n.test(n1 = N1, n2 = 620, power = 0.8)$h)'
cases <- list()
for (n1 in c(50, 100, 200, 400))
  cases[[sprintf("critical_or_n%d_620_p05", n1)]] <- gsub("N1", n1, crit_or)
out <- lapply(names(cases), function(k) list(call = cases[[k]],
                                             values = as.list(eval(parse(text = cases[[k]])))))
names(out) <- names(cases)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
      file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                "r_reference_claims.json"))
