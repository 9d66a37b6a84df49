# Reference values for the statistical review (issue 14): REML / PM + Hartung-Knapp-Sidik-
# Jonkman pools (metafor rma(..., test = "knha")), the Garbutt 1990 halves read as 42 runs
# or 14 runner averages, the group x pace interaction power, Rodacki 2024 30 vs 60 min,
# and the notebook 03 mean-difference pool on a 0-100 scale.
# Run: Rscript tests/reference/make_reference_review.R  (writes r_reference_review.json
# next to this file). Same format as make_reference_aerobic.R: each case's r_call is
# evaluated verbatim with eval(parse(text = r_call)) in a fresh environment; MASS is
# attached (pwr is not needed: power.t.test from base R stats gives the same d).
suppressMessages({library(metafor); library(jsonlite); library(MASS)})
here <- tryCatch(dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(FALSE),
                 value = TRUE)))), error = function(e) ".")
tight <- 'control = list(tol = 1e-12, threshold = 1e-12, maxiter = 1000)'
plo_call <- function(xi, ni, method, test, extra = "") sprintf('dat <- escalc(measure = "PLO", xi = c(%s), ni = c(%s))
res <- rma(yi, vi, data = dat, method = "%s", test = "%s"%s)
c(estimate = as.numeric(res$b), se = res$se, stat = res$zval, df = if (is.null(res$ddf) || is.na(res$ddf)) Inf else res$ddf,
  pval = res$pval, ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2, I2 = res$I2, QE = res$QE, k = res$k,
  prop = plogis(as.numeric(res$b)), prop.ci.lb = plogis(res$ci.lb), prop.ci.ub = plogis(res$ci.ub))',
  xi, ni, method, test, extra)
life6 <- c("168, 125, 158, 73, 25, 46", "257, 199, 377, 84, 29, 48")
life5 <- c("168, 158, 73, 25, 46", "257, 377, 84, 29, 48")
cases <- list(
  rma_PLO_lifetime6_REML_knha = plo_call(life6[1], life6[2], "REML", "knha", paste0(", ", tight)),
  rma_PLO_lifetime6_PM_knha = plo_call(life6[1], life6[2], "PM", "knha", paste0(", ", tight)),
  rma_PLO_lifetime6_DL_knha = plo_call(life6[1], life6[2], "DL", "knha"),
  rma_PLO_lifetime6_DL_z = plo_call(life6[1], life6[2], "DL", "z"),
  rma_PLO_lifetime5_REML_knha = plo_call(life5[1], life5[2], "REML", "knha", paste0(", ", tight)),
  rma_bcg_RR_REML_knha = sprintf('dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
res <- rma(yi, vi, data = dat, method = "REML", test = "knha", %s)
c(estimate = as.numeric(res$b), se = res$se, tval = res$zval, df = res$ddf, pval = res$pval,
  ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2, I2 = res$I2)', tight),
  rma_tau2_zero_REML = 'res <- rma(yi = c(0.1, 0.12, 0.09), vi = c(0.04, 0.05, 0.03), method = "REML", control = list(threshold = 1e-12))
c(estimate = as.numeric(res$b), tau2 = res$tau2, se = res$se)',
  rma_knha_q_below_1_REML = '# homogeneous studies: the HKSJ scale factor q is below 1 and metafor does not truncate it
res <- rma(yi = c(0.1, 0.12, 0.09), vi = c(0.04, 0.05, 0.03), method = "REML", test = "knha", control = list(threshold = 1e-12))
z <- rma(yi = c(0.1, 0.12, 0.09), vi = c(0.04, 0.05, 0.03), method = "REML", control = list(threshold = 1e-12))
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, df = res$ddf, pval = res$pval, se.z = z$se)',
  halves_42_runs_paired_t = '# three pace groups of 14 runs with the printed means and SDs, pooled into 42 runs
g <- function(m, s, n = 14) { z <- scale(seq_len(n))[, 1]; m + s * z }
total <- c(g(3.37, 2.38), g(5.10, 1.90), g(7.69, 3.69))
s1 <- 2.78; s2 <- 1.61; sdt <- sd(total)
r <- (sdt^2 - s1^2 - s2^2) / (2 * s1 * s2)
x <- mvrnorm(42, mu = c(3.26, 2.12), Sigma = matrix(c(s1^2, r * s1 * s2, r * s1 * s2, s2^2), 2), empirical = TRUE)
stopifnot(abs(sd(x[, 1] + x[, 2]) - sdt) < 1e-12)
tt <- t.test(x[, 1], x[, 2], paired = TRUE)
c(sd_total = sdt, r = r, t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value)',
  halves_14_runner_averages_rho05 = '# runner averages over 3 paces with compound-symmetric rho = 0.5 between paces
s <- c(2.38, 1.90, 3.69); rho <- 0.5
S <- outer(s, s) * (matrix(rho, 3, 3) + diag(1 - rho, 3))
y <- mvrnorm(14, mu = c(3.37, 5.10, 7.69), Sigma = S, empirical = TRUE)
sdt <- sd(rowMeans(y))
s1 <- 2.78; s2 <- 1.61
r <- (sdt^2 - s1^2 - s2^2) / (2 * s1 * s2)
x <- mvrnorm(14, mu = c(3.26, 2.12), Sigma = matrix(c(s1^2, r * s1 * s2, r * s1 * s2, s2^2), 2), empirical = TRUE)
tt <- t.test(x[, 1], x[, 2], paired = TRUE)
c(sd_total = sdt, r = r, t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value,
  sd_total_max = mean(s), r_max = (mean(s)^2 - s1^2 - s2^2) / (2 * s1 * s2))',
  interaction_mdd_rho05 = '# two-sample t on each runner\'s rise from 70 % to 100 % pace, 7 vs 7
s <- c(2.38, 1.90, 3.69); rho <- 0.5
S <- outer(s, s) * (matrix(rho, 3, 3) + diag(1 - rho, 3))
cc <- c(-1, 0, 1)
sd_c <- sqrt(drop(t(cc) %*% S %*% cc))
d <- power.t.test(n = 7, sd = 1, power = 0.8, sig.level = 0.05, type = "two.sample", strict = TRUE, tol = 1e-12)$delta
c(sd_contrast = sd_c, d = d, mdd = d * sd_c)',
  rodacki_30_vs_60_paired_t_r0 = 'x <- mvrnorm(15, mu = c(7.51, 5.27), Sigma = diag(c(2.51, 1.92)^2), empirical = TRUE)
tt <- t.test(x[, 1], x[, 2], paired = TRUE)
c(t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value)',
  points_disability_k2_REML_knha = '# 0-100 points: Cuesta-Vargas 2012 RMQ MD -2.5 (-5.7 to -0.2) x 100/24 (SE from the CI width);
# McDonough 2013 ODI change -8.2 (SD 15.01, n 40) minus -1.6 (SD 14.98, n 17)
yi <- c(-2.5 * 100 / 24, -8.2 - -1.6)
sei <- c((-0.2 - -5.7) / (2 * qnorm(0.975)) * 100 / 24, sqrt(15.01^2 / 40 + 14.98^2 / 17))
res <- rma(yi = yi, sei = sei, method = "REML", test = "knha", control = list(threshold = 1e-12))
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2, df = res$ddf)',
  points_disability_k3_p_derived_REML_knha = '# as above plus Krein 2013 RDQ 7.2 - 9.2 = -2.0 x 100/24, SE from P = 0.01 (t, 111 + 118 - 2 df)
yi <- c(-2.5 * 100 / 24, -2.0 * 100 / 24, -8.2 - -1.6)
sei <- c((-0.2 - -5.7) / (2 * qnorm(0.975)) * 100 / 24, 2.0 / qt(1 - 0.01 / 2, 111 + 118 - 2) * 100 / 24,
         sqrt(15.01^2 / 40 + 14.98^2 / 17))
res <- rma(yi = yi, sei = sei, method = "REML", test = "knha", control = list(threshold = 1e-12))
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2, df = res$ddf)',
  points_pain_k2_p_derived_REML_knha = '# Cuesta-Vargas 2012 VAS -26.0 (-40.9 to -11.1) mm; Krein 2013 pain 4.7 - 5.2 = -0.5 on an unnamed
# scale ASSUMED 0-10 (x 10), SE from P = 0.05 (t, 110 + 118 - 2 df)
yi <- c(-26.0, -0.5 * 10)
sei <- c((-11.1 - -40.9) / (2 * qnorm(0.975)), 0.5 / qt(1 - 0.05 / 2, 110 + 118 - 2) * 10)
res <- rma(yi = yi, sei = sei, method = "REML", test = "knha", control = list(threshold = 1e-12))
dl <- rma(yi = yi, sei = sei, method = "DL", test = "knha")
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2, df = res$ddf,
  dl.tau2 = dl$tau2, dl.estimate = as.numeric(dl$b))',
  combined_sd_three_groups = 'g <- function(m, s, n) { z <- scale(seq_len(n))[, 1]; m + s * z }
c(sd = sd(c(g(3.37, 2.38, 14), g(5.10, 1.90, 10), g(7.69, 3.69, 20))))'
)
out <- list()
for (id in names(cases)) {
  val <- eval(parse(text = cases[[id]]), envir = new.env())
  print(id); print(val)
  entry <- list(r_call = cases[[id]], r_version = R.version.string,
                package_versions = list(metafor = as.character(packageVersion("metafor"))))
  if (is.list(val)) entry$values <- lapply(val, as.numeric) else entry$values <- as.list(val)
  out[[id]] <- entry
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), pretty = TRUE),
           file.path(here, "r_reference_review.json"))
