# R reference values for tests/test_prevalence.py (runspine prevalence notebook).
# Run: Rscript tests/reference/make_reference_prevalence.R  (writes r_reference_prevalence.json
# next to this script). Each case stores the R call that produced it.
suppressPackageStartupMessages({library(metafor); library(pwr); library(jsonlite)})
cases <- list(
  wilson_ci_x573_n2539_cl95 = 'ci <- prop.test(573, 2539, correct = FALSE, conf.level = 0.95)$conf.int
c(lower = ci[1], upper = ci[2])',
  wilson_ci_x399_n539_cl90 = 'ci <- prop.test(399, 539, correct = FALSE, conf.level = 0.9)$conf.int
c(lower = ci[1], upper = ci[2])',
  or_woolf_903_211_116_50 = 'es <- escalc(measure = "OR", ai = 903, bi = 211, ci = 116, di = 50)
yi <- as.numeric(es$yi); vi <- as.numeric(es$vi)
tab <- matrix(c(903, 211, 116, 50), nrow = 2, byrow = TRUE)
c(or = exp(yi), ci.lb = exp(yi - qnorm(0.975) * sqrt(vi)), ci.ub = exp(yi + qnorm(0.975) * sqrt(vi)),
  chisq_p = chisq.test(tab, correct = FALSE)$p.value, fisher_p = fisher.test(tab)$p.value)',
  or_woolf_51_148_38_240 = 'es <- escalc(measure = "OR", ai = 51, bi = 148, ci = 38, di = 240)
yi <- as.numeric(es$yi); vi <- as.numeric(es$vi)
c(or = exp(yi), ci.lb = exp(yi - qnorm(0.975) * sqrt(vi)), ci.ub = exp(yi + qnorm(0.975) * sqrt(vi)))',
  rma_PLO_athletes_lifetime_DL = 'dat <- escalc(measure = "PLO", xi = c(168, 125, 158, 73, 25, 46), ni = c(257, 199, 377, 84, 29, 48))
res <- rma(yi, vi, data = dat, method = "DL")
pr <- predict(res)
crit <- qt(0.975, df = res$k - 2)
c(estimate = as.numeric(res$b), se = res$se, tau2 = res$tau2, I2 = res$I2, QE = res$QE,
  prop = plogis(as.numeric(res$b)), prop.ci.lb = plogis(res$ci.lb), prop.ci.ub = plogis(res$ci.ub),
  prop.pi.lb = plogis(pr$pi.lb), prop.pi.ub = plogis(pr$pi.ub),
  prop.pi.higgins.lb = plogis(as.numeric(res$b) - crit * sqrt(res$se^2 + res$tau2)),
  prop.pi.higgins.ub = plogis(as.numeric(res$b) + crit * sqrt(res$se^2 + res$tau2)))',
  rma_PLO_athletes_lifetime_PM_tight = 'dat <- escalc(measure = "PLO", xi = c(168, 125, 158, 73, 25, 46), ni = c(257, 199, 377, 84, 29, 48))
res <- rma(yi, vi, data = dat, method = "PM", control = list(tol = 1e-12, threshold = 1e-12, maxiter = 1000))
crit <- qt(0.975, df = res$k - 2)
c(estimate = as.numeric(res$b), se = res$se, tau2 = res$tau2, I2 = res$I2,
  prop = plogis(as.numeric(res$b)), prop.ci.lb = plogis(res$ci.lb), prop.ci.ub = plogis(res$ci.ub),
  prop.pi.higgins.lb = plogis(as.numeric(res$b) - crit * sqrt(res$se^2 + res$tau2)),
  prop.pi.higgins.ub = plogis(as.numeric(res$b) + crit * sqrt(res$se^2 + res$tau2)))',
  rma_PLO_rowing_lifetime_DL = 'dat <- escalc(measure = "PLO", xi = c(125, 73), ni = c(199, 84))
res <- rma(yi, vi, data = dat, method = "DL")
c(tau2 = res$tau2, I2 = res$I2, prop = plogis(as.numeric(res$b)),
  prop.ci.lb = plogis(res$ci.lb), prop.ci.ub = plogis(res$ci.ub))',
  rma_PLO_lifetime6_I2 = 'dat <- escalc(measure = "PLO", xi = c(168, 125, 158, 73, 25, 46), ni = c(257, 199, 377, 84, 29, 48))
reml <- rma(yi, vi, data = dat, method = "REML", control = list(threshold = 1e-12))
dl <- rma(yi, vi, data = dat, method = "DL")
fixed <- rma(yi, vi, data = dat, tau2 = 0.01)
c(tau2_reml = reml$tau2, I2_reml = reml$I2, tau2_dl = dl$tau2, I2_dl = dl$I2,
  tau2_fixed = fixed$tau2, I2_fixed = fixed$I2)',
  pwr_2p2n_test_n24_25_power80_h_exact = 'uniroot(function(h) pwr.2p2n.test(h = h, n1 = 24, n2 = 25)$power - 0.8, c(1e-10, 10), tol = 1e-13)$root',
  pwr_2p2n_test_n100_620_power80_h_exact = 'uniroot(function(h) pwr.2p2n.test(h = h, n1 = 100, n2 = 620)$power - 0.8, c(1e-10, 10), tol = 1e-13)$root',
  min_or_n937_620_p05_lower = 'h <- uniroot(function(h) pwr.2p2n.test(h = h, n1 = 937, n2 = 620)$power - 0.8, c(1e-10, 10), tol = 1e-13)$root
p0 <- 0.5; p1 <- sin(asin(sqrt(p0)) - h / 2)^2
c(h = h, p1 = p1, or = (p1 / (1 - p1)) / (p0 / (1 - p0)),
  power_check = pwr.2p2n.test(h = ES.h(p1, p0), n1 = 937, n2 = 620)$power)',
  mover_woolf_lifetime_vs_walker = 'ci1 <- prop.test(399, 539, correct = FALSE)$conf.int; p1 <- 399 / 539
p2 <- 0.792; l2 <- 0.773; u2 <- 0.810
c(d = p1 - p2, lower = p1 - p2 - sqrt((p1 - ci1[1])^2 + (u2 - p2)^2),
  upper = p1 - p2 + sqrt((ci1[2] - p1)^2 + (p2 - l2)^2))'
)
versions <- list(stats = as.character(packageVersion("stats")), metafor = as.character(packageVersion("metafor")),
                 pwr = as.character(packageVersion("pwr")))
out <- list()
for (id in names(cases)) {
  val <- eval(parse(text = cases[[id]]), envir = new.env())
  entry <- list(r_call = cases[[id]], r_version = R.version.string, package_versions = versions)
  if (length(val) == 1 && is.null(names(val))) entry$value <- unname(val) else entry$values <- as.list(val)
  out[[id]] <- entry
  cat(id, ":", paste(names(val), format(val, digits = 15), collapse = "; "), "\n")
}
here <- tryCatch(dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(), value = TRUE)))),
                 error = function(e) ".")
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "r_reference_prevalence.json"))
