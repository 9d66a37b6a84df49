# R reference values for the verdict numbers of tests/test_prevalence.py (claims revisited).
# Run: Rscript tests/reference/make_reference_claims.R  (writes r_reference_claims.json next
# to this script). Each case stores the R call that produced it.
suppressPackageStartupMessages({library(pwr); library(MASS); library(jsonlite)})
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
# Garbutt 1990 halves: the SD of the difference over all 42 runs (from the halves' SDs and
# the 42-run SD of the totals, both printed or implied), then a correct paired t on 14 runner
# averages when a runner's difference correlates RHO across the 3 days (exact data)
halves <- 'sd_T <- sd(c(mvrnorm(14, 3.37, 2.38^2, empirical = TRUE), mvrnorm(14, 5.10, 1.90^2, empirical = TRUE),
                  mvrnorm(14, 7.69, 3.69^2, empirical = TRUE)))
sd_d <- sqrt(2 * (2.78^2 + 1.61^2) - sd_T^2)
S <- sd_d^2 * ((1 - RHO) * diag(3) + RHO * matrix(1, 3, 3))
D <- mvrnorm(14, rep(3.26 - 2.12, 3), S, empirical = TRUE)
tt <- t.test(rowMeans(D))
c(sd_T = sd_T, sd_d = sd_d, t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value,
  rho_limit = ((((3.26 - 2.12) * sqrt(42) / sd_d) / qt(0.975, 13))^2 - 1) / 2)'
for (r in c(0, 0.05, 0.25))
  cases[[sprintf("halves_runner_means_rho%g", r)]] <- gsub("RHO", r, halves)
# summary.paired_t_runner_means in general: n runners x k runs of differences with SD s_d over
# all runs and within-runner correlation rho (exact data), t test on the runner averages
cases[["runner_means_n10_k4_rho03"]] <- 'D <- mvrnorm(10, rep(-0.8, 4), 2.5^2 * ((1 - 0.3) * diag(4) + 0.3 * matrix(1, 4, 4)), empirical = TRUE)
tt <- t.test(rowMeans(D))
c(t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value, sd_bar = sd(rowMeans(D)))'
# summary.rho_runs_for_p: the correlation at which that test gives P = alpha, found by
# solving t.test(rowMeans(D))$p.value = alpha with uniroot (not by the closed form)
rho_limit <- 'p_at <- function(r) { set.seed(1)
  D <- mvrnorm(N, rep(MD, K), SD^2 * ((1 - r) * diag(K) + r * matrix(1, K, K)), empirical = TRUE)
  t.test(rowMeans(D))$p.value }
uniroot(function(r) p_at(r) - ALPHA, c(LO, 0.9), tol = 1e-13)$root'
fill <- function(template, ...) {
  v <- list(...)
  for (k in names(v)) template <- gsub(k, v[[k]], template, fixed = TRUE)
  template
}
cases[["rho_limit_halves_alpha05"]] <- paste0('sd_T <- sd(c(mvrnorm(14, 3.37, 2.38^2, empirical = TRUE), mvrnorm(14, 5.10, 1.90^2, empirical = TRUE),
                  mvrnorm(14, 7.69, 3.69^2, empirical = TRUE)))
sd_d <- sqrt(2 * (2.78^2 + 1.61^2) - sd_T^2)
', fill(rho_limit, N = "14", MD = "3.26 - 2.12", K = "3", SD = "sd_d", ALPHA = "0.05", LO = "0"))
cases[["rho_limit_n10_k4_alpha10"]] <- fill(rho_limit, N = "10", MD = "-0.8", K = "4", SD = "2.5",
                                            ALPHA = "0.10", LO = "-0.3")
cases[["rho_limit_n10_k4_alpha05"]] <- fill(rho_limit, N = "10", MD = "-0.8", K = "4", SD = "2.5",
                                            ALPHA = "0.05", LO = "-0.3")
# the data sets behind the three readings: totals by pace (rho between paces), difference
# D = 1.14 + b (T - grand mean) + e with b, s2 fixed by the printed SDs over 42 runs
cases[["halves_simulation"]] <- 'set.seed(20261205)
sd_T <- sd(c(mvrnorm(14, 3.37, 2.38^2, empirical = TRUE), mvrnorm(14, 5.10, 1.90^2, empirical = TRUE),
             mvrnorm(14, 7.69, 3.69^2, empirical = TRUE)))
b <- (2.78^2 - 1.61^2) / sd_T^2; s2 <- 4 * 2.78^2 - (1 + b)^2 * sd_T^2
m <- c(3.37, 5.10, 7.69); s <- c(2.38, 1.90, 3.69)
res <- c(b = b, s2 = s2)
for (rho in c(0.3, 0.5, 0.8)) {
  C <- outer(s, s) * (rho + (1 - rho) * diag(3))
  p <- replicate(4000, {
    T <- mvrnorm(14, m, C)
    D <- 1.14 + b * (T - mean(m)) + matrix(rnorm(42, 0, sqrt(s2)), 14)
    F <- (T + D) / 2; S <- (T - D) / 2
    c(t.test(rowMeans(D))$p.value, t.test(c(F), c(S), paired = TRUE)$p.value)})
  res[paste0(c("share_correct_", "median_correct_", "share_runs_", "median_runs_"), rho)] <-
    c(mean(p[1, ] < 0.05), median(p[1, ]), mean(p[2, ] < 0.05), median(p[2, ]))
}
res'
out <- lapply(names(cases), function(k) list(call = cases[[k]],
                                             values = as.list(eval(parse(text = cases[[k]])))))
names(out) <- names(cases)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
      file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                "r_reference_claims.json"))
