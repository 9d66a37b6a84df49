# make_reference_hip_disc.R -- R reference values for tests/test_hip_disc.py.
#
# R is NOT a dependency of runspine; run by hand to regenerate
# tests/reference/r_reference_hip_disc.json:
#   Rscript tests/reference/make_reference_hip_disc.R
# Each case is an R code string evaluated with eval(parse(text = r_call)) in a fresh
# environment (same conventions as make_reference.R). Packages: pwr, metafor, jsonlite.

suppressPackageStartupMessages({
  library(metafor)
  library(pwr)
  library(jsonlite)
})
script_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f)) dirname(normalizePath(f)) else getwd()
})

cases <- list(
  pwr_t2n_test_15_30_power80_d_exact =
    "uniroot(function(d) pwr.t2n.test(n1 = 15, n2 = 30, d = d)$power - 0.8, c(1e-07, 10), tol = 1e-13)$root",
  pwr_t2n_test_10_35_power90_alpha01_d_exact =
    "uniroot(function(d) pwr.t2n.test(n1 = 10, n2 = 35, d = d, sig.level = 0.01, power = NULL)$power - 0.9, c(1e-07, 10), tol = 1e-13)$root",
  pwr_t2n_test_45_43_alpha_bonf6_power80_d_exact =
    "uniroot(function(d) pwr.t2n.test(n1 = 45, n2 = 43, d = d, sig.level = 0.05 / 6)$power - 0.8, c(1e-07, 10), tol = 1e-13)$root",
  pwr_t2n_test_10_35_d05_power =
    "pwr.t2n.test(n1 = 10, n2 = 35, d = 0.5)$power",
  pwr_r_test_n45_r03_power =
    "pwr.r.test(n = 45, r = 0.3)$power",
  pwr_r_test_n45_alpha01_power90_r_exact =
    "uniroot(function(r) pwr.r.test(n = 45, r = r, sig.level = 0.01)$power - 0.9, c(1e-10, 1 - 1e-10), tol = 1e-13)$root",
  rma_FE_belavy_ivd_height_on_km =
    "x <- c(0, 28.0, 66.6); y <- c(7.1, 7.3, 7.5); vi <- c(0.7, 1.1, 1.0)^2 / c(24, 30, 25)\nres <- rma(yi = y, vi = vi, mods = ~ x, method = \"FE\")\nc(slope = res$b[2, 1], se = res$se[2], zval = res$zval[2], pval = res$pval[2], ci.lb = res$ci.lb[2], ci.ub = res$ci.ub[2], QE = res$QE, QEp = res$QEp)",
  rma_FE_belavy_pfirrmann_on_km =
    "x <- c(0, 28.0, 66.6); y <- c(2.3, 2.2, 2.1); vi <- c(0.39, 0.39, 0.39)^2 / c(24, 30, 25)\nres <- rma(yi = y, vi = vi, mods = ~ x, method = \"FE\")\nc(slope = res$b[2, 1], se = res$se[2], zval = res$zval[2], pval = res$pval[2], ci.lb = res$ci.lb[2], ci.ub = res$ci.ub[2], QE = res$QE, QEp = res$QEp)",
  chisq_belavy_sex_by_group =
    "tab <- matrix(c(11, 13, 11, 24 - 11, 30 - 13, 25 - 11), nrow = 2, byrow = TRUE)\nct <- suppressWarnings(chisq.test(tab, correct = FALSE))\nc(statistic = unname(ct$statistic), df = unname(ct$parameter), p = ct$p.value)",
  escalc_SMD_mitchell_t2 =
    "es <- escalc(measure = \"SMD\", m1i = 94.4, sd1i = 11.1, n1i = 9, m2i = 88.6, sd2i = 23.6, n2i = 8)\nc(yi = as.numeric(es$yi), vi = as.numeric(es$vi))",
  ttest_mitchell_pfirrmann_l2s1 =
    "n <- c(9, 8); m <- c(1.9, 2.5); s <- c(0.2, 0.7)\nset.seed(1)\ny <- unlist(lapply(1:2, function(j) m[j] + s[j] * scale(rnorm(n[j]))[, 1]))\ng <- factor(rep(1:2, n))\nts <- t.test(y[g == 1], y[g == 2], var.equal = TRUE); tw <- t.test(y[g == 1], y[g == 2])\nc(p_student = ts$p.value, p_welch = tw$p.value)"
)

fmt <- function(x) {
  s <- sprintf("%.15g", x)
  if (!identical(as.numeric(s), x)) s <- sprintf("%.17g", x)
  s
}
out <- list()
for (id in names(cases)) {
  r_call <- cases[[id]]
  val <- eval(parse(text = r_call), envir = new.env())
  entry <- list(r_call = r_call, r_version = R.version.string,
                package_versions = list(pwr = as.character(packageVersion("pwr")),
                                        metafor = as.character(packageVersion("metafor"))))
  if (length(val) == 1 && is.null(names(val))) {
    entry$value <- as.numeric(fmt(val))
  } else {
    entry$values <- lapply(as.list(val), function(v) as.numeric(fmt(v)))
  }
  print(id); print(val)
  out[[id]] <- entry
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(script_dir, "r_reference_hip_disc.json"))
