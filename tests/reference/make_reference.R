# make_reference.R -- generate R reference values for runspine's Python tests.
#
# R is NOT a dependency of runspine. This script is only used (by hand) to
# regenerate tests/reference/r_reference.json and tests/reference/mixed_data.csv.
#
# Usage (from the repository root or anywhere):
#   Rscript tests/reference/make_reference.R
#
# Debian packages used: r-base-core, r-cran-metafor, r-cran-pwr, r-cran-jsonlite
# (MASS and nlme ship with R; r-cran-lme4 is optional, used only for a cross-check).
#
# Every case is defined by a string `r_call`. The script evaluates exactly that
# string (eval(parse(text = r_call))) in a fresh environment, so the `r_call`
# recorded in the JSON is the code that produced the value. Each r_call is
# self-contained (it builds its own data) and assumes only that metafor, pwr,
# MASS and nlme are attached.
#
# JSON conventions:
#   * "value" holds a scalar result; "values" holds a named set of results
#     (a vector-valued result, e.g. per-study yi, is a JSON array).
#   * numbers are written with sprintf("%.15g"), or "%.17g" when 15 significant
#     digits would not round-trip to the identical double.
#   * Inf / -Inf / NaN are written as the strings "Inf", "-Inf", "NaN"
#     (Python: float(v) parses them); NA is written as null.
#   * "warnings" lists R warnings raised while evaluating the call;
#     "error" replaces the values if the call failed.
#   * metafor's I2 is a percentage (0-100), H2 is a ratio.

suppressPackageStartupMessages({
  library(metafor)
  library(pwr)
  library(jsonlite)
  library(MASS)
  library(nlme)
})
have_lme4 <- requireNamespace("lme4", quietly = TRUE)

## where to write -------------------------------------------------------------
script_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1) dirname(normalizePath(f)) else file.path("tests", "reference")
})
json_path <- file.path(script_dir, "r_reference.json")
csv_path <- file.path(script_dir, "mixed_data.csv")

## helpers ----------------------------------------------------------------------
pkgver <- function(p) utils::packageDescription(p)$Version
r_version <- R.version.string
cases <- list()

run_case <- function(id, r_call, pkgs = character(0), note = NULL) {
  warns <- character(0)
  res <- tryCatch(
    withCallingHandlers(
      eval(parse(text = r_call), envir = new.env(parent = globalenv())),
      warning = function(w) {
        warns <<- c(warns, conditionMessage(w))
        invokeRestart("muffleWarning")
      }
    ),
    error = function(e) structure(list(msg = conditionMessage(e)), class = "case_error")
  )
  entry <- list(r_call = r_call)
  if (inherits(res, "case_error")) {
    entry$error <- res$msg
  } else if (is.list(res) || !is.null(names(res))) {
    entry$values <- lapply(as.list(res), function(v) { attributes(v) <- NULL; v })
  } else {
    attributes(res) <- NULL
    entry$value <- res
  }
  entry$r_version <- r_version
  pk <- unique(c("stats", pkgs))
  entry$package_versions <- setNames(lapply(pk, pkgver), pk)
  if (length(warns)) entry$warnings <- unique(warns)
  if (!is.null(note)) entry$note <- note
  cases[[id]] <<- entry

  cat("==== ", id, "\n", r_call, "\n---> ", sep = "")
  if (!is.null(entry$error)) {
    cat("ERROR: ", entry$error, "\n", sep = "")
  } else if (!is.null(entry[["value"]])) {
    cat(format(entry[["value"]], digits = 15), "\n")
  } else {
    cat("\n")
    for (nm in names(entry$values))
      cat(sprintf("     %-18s %s\n", nm, paste(format(entry$values[[nm]], digits = 15), collapse = ", ")))
  }
  if (length(warns)) cat("     warnings: ", paste(unique(warns), collapse = " | "), "\n", sep = "")
  invisible(entry)
}

fmt_num <- function(v) {
  if (is.na(v) && !is.nan(v)) return("null")
  if (is.nan(v)) return("\"NaN\"")
  if (is.infinite(v)) return(if (v > 0) "\"Inf\"" else "\"-Inf\"")
  s <- sprintf("%.15g", v)
  if (as.numeric(s) != v) s <- sprintf("%.17g", v)
  s
}
# numbers -> verbatim JSON with full precision; everything else via jsonlite
prep_json <- function(x) {
  if (is.list(x)) {
    out <- lapply(x, prep_json)
    if (!is.null(names(x))) names(out) <- names(x)
    return(out)
  }
  if (is.numeric(x)) {
    x <- as.double(x)
    if (length(x) == 1) return(structure(fmt_num(x), class = "json"))
    return(lapply(x, function(v) structure(fmt_num(v), class = "json")))
  }
  x
}

## shared snippets (pasted into r_call strings, so each call is self-contained) ----
BCG <- 'dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)'
RMA_OUT <- 'pr <- predict(res)
c(estimate = as.numeric(res$b), se = res$se, zval = res$zval, pval = res$pval,
  ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2, se.tau2 = res$se.tau2,
  I2 = res$I2, H2 = res$H2, QE = res$QE, QEp = res$QEp, k = res$k,
  pi.lb = pr$pi.lb, pi.ub = pr$pi.ub)'
MF <- c("metafor", "metadat")

##############################################################################
## 1. Wilson score intervals: prop.test(correct = FALSE)
##############################################################################
for (xn in list(c(10, 22), c(3, 25), c(162, 257), c(0, 20), c(20, 20))) {
  for (cl in c(0.95, 0.90)) {
    run_case(
      sprintf("wilson_ci_x%d_n%d_cl%d", xn[1], xn[2], round(cl * 100)),
      sprintf('ci <- prop.test(%d, %d, correct = FALSE, conf.level = %s)$conf.int\nc(lower = ci[1], upper = ci[2])',
              xn[1], xn[2], format(cl)))
  }
}

##############################################################################
## 2. Odds ratios with Woolf (log) CI; Fisher and chi-squared p-values
##############################################################################
tables <- list(c(162, 95, 92, 105), c(10, 12, 3, 22), c(5, 15, 0, 20))
for (tb in tables) {
  tag <- paste(tb, collapse = "_")
  run_case(
    paste0("or_woolf_", tag),
    sprintf('es <- escalc(measure = "OR", ai = %d, bi = %d, ci = %d, di = %d, add = 1/2, to = "only0")
yi <- as.numeric(es$yi); vi <- as.numeric(es$vi)
c(yi = yi, vi = vi, or = exp(yi),
  ci.lb = exp(yi - qnorm(0.975) * sqrt(vi)), ci.ub = exp(yi + qnorm(0.975) * sqrt(vi)))',
            tb[1], tb[2], tb[3], tb[4]),
    MF,
    note = if (any(tb == 0)) "a zero cell: escalc adds 1/2 to every cell of this table (add = 1/2, to = 'only0', the defaults); equivalent to statsmodels Table2x2(..., shift_zeros=True)" else
      "add = 1/2, to = 'only0' are escalc's defaults; no cell is zero so no correction is applied")
  run_case(
    paste0("fisher_chisq_", tag),
    sprintf('tab <- matrix(c(%d, %d, %d, %d), nrow = 2, byrow = TRUE)
ft <- fisher.test(tab)
ct <- chisq.test(tab, correct = FALSE)
c(fisher_p = ft$p.value, fisher_or_cmle = unname(ft$estimate),
  fisher_or_ci.lb = ft$conf.int[1], fisher_or_ci.ub = ft$conf.int[2],
  chisq_stat = unname(ct$statistic), chisq_df = unname(ct$parameter), chisq_p = ct$p.value)',
            tb[1], tb[2], tb[3], tb[4]),
    note = "rows are groups: matrix(c(a, b, c, d), nrow = 2, byrow = TRUE); fisher_or_cmle is the conditional MLE odds ratio (scipy.stats.contingency.odds_ratio(kind='conditional')), not the sample OR")
}

##############################################################################
## 3. Random-effects meta-analysis of dat.bcg (log risk ratios)
##############################################################################
run_case("escalc_bcg_RR",
         paste0(BCG, '\nlist(yi = as.numeric(dat$yi), vi = as.numeric(dat$vi))'), MF)
for (meth in c("DL", "PM", "REML", "HE", "ML", "SJ", "EB")) {
  run_case(paste0("rma_bcg_RR_", meth),
           paste0(BCG, sprintf('\nres <- rma(yi, vi, data = dat, method = "%s")\n', meth), RMA_OUT),
           MF, note = "I2 in percent; pi.lb/pi.ub from predict(res): normal-based, estimate +/- qnorm(0.975) * sqrt(se^2 + tau2)")
}
TIGHT <- 'control = list(tol = 1e-12, threshold = 1e-12, maxiter = 1000)'
tight_note <- "same fit with tight convergence control: metafor's defaults stop iterating early (PM: uniroot tol ~1e-4 -> tau2 off by ~2.5e-5; REML/ML/EB: threshold 1e-5 -> tau2 off by ~1e-7). Compare a converged Python estimator with this case at high precision, with the default-control case only at ~1e-4 (PM) / ~1e-6 (others) relative"
for (meth in c("PM", "REML", "ML", "SJ", "EB")) {
  run_case(paste0("rma_bcg_RR_", meth, "_tight"),
           paste0(BCG, sprintf('\nres <- rma(yi, vi, data = dat, method = "%s", %s)\n', meth, TIGHT), RMA_OUT),
           MF, note = tight_note)
}
run_case("rma_bcg_RR_DL_test_t",
         paste0(BCG, '\nres <- rma(yi, vi, data = dat, method = "DL", test = "t")\npr <- predict(res)
c(estimate = as.numeric(res$b), se = res$se, tval = res$zval, df = res$ddf, pval = res$pval,
  ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2,
  pi.lb = pr$pi.lb, pi.ub = pr$pi.ub, pi.df = pr$pi.ddf)'),
         MF, note = "test = 't': same se as the z fit (no Knapp-Hartung rescaling), t with k-1 df for CI and for the PI: estimate +/- qt(0.975, k-1) * sqrt(se^2 + tau2)")
run_case("rma_bcg_RR_DL_test_knha",
         paste0(BCG, '\nres <- rma(yi, vi, data = dat, method = "DL", test = "knha")\npr <- predict(res)
c(estimate = as.numeric(res$b), se = res$se, tval = res$zval, df = res$ddf, pval = res$pval,
  ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2,
  pi.lb = pr$pi.lb, pi.ub = pr$pi.ub)'),
         MF, note = "Knapp-Hartung (HKSJ) adjusted se, t with k-1 df")
for (meth in c("DL", "REML")) {
  run_case(paste0("rma_bcg_RR_", meth, "_pi_higgins_t_k2"),
           paste0(BCG, sprintf('\nres <- rma(yi, vi, data = dat, method = "%s")\n', meth),
                  'crit <- qt(0.975, df = res$k - 2)
c(pi.lb = as.numeric(res$b) - crit * sqrt(res$se^2 + res$tau2),
  pi.ub = as.numeric(res$b) + crit * sqrt(res$se^2 + res$tau2), df = res$k - 2)'),
           MF, note = "Higgins, Thompson & Spiegelhalter (2009) t-based prediction interval with k-2 df (NOT what metafor's predict() returns)")
}
run_case("rma_bcg_RR_FE",
         paste0(BCG, '\nres <- rma(yi, vi, data = dat, method = "FE")
c(estimate = as.numeric(res$b), se = res$se, zval = res$zval, pval = res$pval,
  ci.lb = res$ci.lb, ci.ub = res$ci.ub, QE = res$QE, QEp = res$QEp, I2 = res$I2, H2 = res$H2)'), MF)

##############################################################################
## 4. Random-effects meta-analysis of logit proportions
##############################################################################
PLO <- 'dat <- escalc(measure = "PLO", xi = c(162, 120, 150, 10, 40), ni = c(257, 199, 278, 22, 60))'
run_case("escalc_PLO", paste0(PLO, '\nlist(yi = as.numeric(dat$yi), vi = as.numeric(dat$vi))'), MF,
         note = "yi = log(x/(n-x)), vi = 1/x + 1/(n-x)")
for (meth in c("DL", "REML", "REML_tight")) {
  ctl <- if (meth == "REML_tight") paste0('"REML", ', TIGHT) else sprintf('"%s"', meth)
  run_case(paste0("rma_PLO_", meth),
           paste0(PLO, sprintf('\nres <- rma(yi, vi, data = dat, method = %s)\npr <- predict(res)\n', ctl),
                  'c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub,
  tau2 = res$tau2, I2 = res$I2, H2 = res$H2, QE = res$QE, pi.lb = pr$pi.lb, pi.ub = pr$pi.ub,
  prop = plogis(as.numeric(res$b)), prop.ci.lb = plogis(res$ci.lb), prop.ci.ub = plogis(res$ci.ub),
  prop.pi.lb = plogis(pr$pi.lb), prop.pi.ub = plogis(pr$pi.ub))'),
           MF, note = "prop.* are plogis() back-transforms of the logit-scale estimate, CI and (normal-based) PI")
}

##############################################################################
## 5. Standardized mean differences (Hedges' g), MD
##############################################################################
SMD <- 'es <- escalc(measure = "SMD", m1i = c(3.2, 25, 7.2), sd1i = c(1.5, 10, 5.1), n1i = c(40, 10, 111),
             m2i = c(4.5, 38, 9.2), sd2i = c(1.8, 12, 5.6), n2i = c(38, 10, 118))'
run_case("escalc_SMD", paste0(SMD, '\nlist(yi = as.numeric(es$yi), vi = as.numeric(es$vi))'), MF,
         note = "metafor 3.8 default vtype 'LS': vi = 1/n1 + 1/n2 + yi^2 / (2 * (n1 + n2)) with yi the bias-corrected g; correction uses the exact gamma-function J (see smd_components)")
run_case("smd_components",
         'm1 <- c(3.2, 25, 7.2); s1 <- c(1.5, 10, 5.1); n1 <- c(40, 10, 111)
m2 <- c(4.5, 38, 9.2); s2 <- c(1.8, 12, 5.6); n2 <- c(38, 10, 118)
sp <- sqrt(((n1 - 1) * s1^2 + (n2 - 1) * s2^2) / (n1 + n2 - 2))
d <- (m1 - m2) / sp
mdf <- n1 + n2 - 2
J <- exp(lgamma(mdf / 2) - log(sqrt(mdf / 2)) - lgamma((mdf - 1) / 2))
J_approx <- 1 - 3 / (4 * mdf - 1)
g <- J * d
list(sd_pooled = sp, d = d, J = J, J_approx = J_approx, g = g,
     vi_LS = 1 / n1 + 1 / n2 + g^2 / (2 * (n1 + n2)),
     vi_d_textbook = 1 / n1 + 1 / n2 + d^2 / (2 * (n1 + n2)),
     vi_UB = 1 / n1 + 1 / n2 + (1 - (mdf - 2) / (mdf * J^2)) * g^2)',
         note = "hand arithmetic: g and vi_LS reproduce escalc_SMD; J_approx, vi_d_textbook, vi_UB are alternatives other software uses")
run_case("rma_SMD_DL",
         paste0(SMD, '\nres <- rma(yi, vi, data = es, method = "DL")\n', RMA_OUT), MF)
run_case("escalc_MD_study1",
         'es <- escalc(measure = "MD", m1i = 3.2, sd1i = 1.5, n1i = 40, m2i = 4.5, sd2i = 1.8, n2i = 38)
yi <- as.numeric(es$yi); vi <- as.numeric(es$vi)
c(yi = yi, vi = vi, ci.lb = yi - qnorm(0.975) * sqrt(vi), ci.ub = yi + qnorm(0.975) * sqrt(vi))',
         MF, note = "default vtype 'LS' for MD: vi = sd1^2/n1 + sd2^2/n2 (no pooling)")

##############################################################################
## 6. Egger's regression test
##############################################################################
run_case("regtest_bcg_FE_lm",
         paste0(BCG, '\nrt <- regtest(rma(yi, vi, data = dat, method = "FE"), model = "lm")
c(tval = rt$zval, df = rt$dfs, pval = rt$pval, limit_est = rt$est, limit_ci.lb = rt$ci.lb, limit_ci.ub = rt$ci.ub)'),
         MF, note = "classic Egger: lm(yi ~ sqrt(vi), weights = 1/vi), t test of the sqrt(vi) slope with k-2 df; limit_est is the intercept")
run_case("regtest_bcg_REML_rma",
         paste0(BCG, '\nrt <- regtest(rma(yi, vi, data = dat, method = "REML"))
c(zval = rt$zval, pval = rt$pval, limit_est = rt$est, limit_ci.lb = rt$ci.lb, limit_ci.ub = rt$ci.ub)'),
         MF, note = "default model = 'rma', predictor = 'sei': REML meta-regression on sqrt(vi), z test of its slope")
run_case("regtest_bcg_REML_rma_tight",
         paste0(BCG, '\nrt <- regtest(rma(yi, vi, data = dat, method = "REML", ', TIGHT, '))
c(zval = rt$zval, pval = rt$pval, limit_est = rt$est, limit_ci.lb = rt$ci.lb, limit_ci.ub = rt$ci.ub)'),
         MF, note = tight_note)

##############################################################################
## 7. Power for t tests and correlation
##############################################################################
PW <- "pwr"
pw_note <- "pwr solves with uniroot() at its default tol = .Machine$double.eps^0.25 (~1.2e-4): solved values are accurate to ~4-5 significant digits only; compare Python to the matching *_exact case"
pt_note <- "power.t.test defaults: strict = FALSE (ignores the far rejection tail when two-sided) and tol = .Machine$double.eps^0.25"
power_cases <- list(
  list("pwr_t_test_n7_power80_d", "pwr.t.test(n = 7, power = 0.8)$d", pw_note),
  list("pwr_t_test_n7_power80_d_exact", "uniroot(function(d) pwr.t.test(n = 7, d = d)$power - 0.8, c(1e-07, 10), tol = 1e-13)$root", NULL),
  list("pwr_t2n_test_45_43_power80_d", "pwr.t2n.test(n1 = 45, n2 = 43, power = 0.8)$d", pw_note),
  list("pwr_t2n_test_45_43_power80_d_exact", "uniroot(function(d) pwr.t2n.test(n1 = 45, n2 = 43, d = d)$power - 0.8, c(1e-07, 10), tol = 1e-13)$root", NULL),
  list("pwr_t2n_test_10_35_power80_d", "pwr.t2n.test(n1 = 10, n2 = 35, power = 0.8)$d", pw_note),
  list("pwr_t2n_test_10_35_power80_d_exact", "uniroot(function(d) pwr.t2n.test(n1 = 10, n2 = 35, d = d)$power - 0.8, c(1e-07, 10), tol = 1e-13)$root", NULL),
  list("pwr_t2n_test_10_35_d05_power", "pwr.t2n.test(n1 = 10, n2 = 35, d = 0.5)$power", "direct evaluation (both tails), no root finding"),
  list("pwr_t_test_d08_power80_n", "pwr.t.test(d = 0.8, power = 0.8)$n", pw_note),
  list("pwr_t_test_d08_power80_n_exact", "uniroot(function(n) pwr.t.test(n = n, d = 0.8)$power - 0.8, c(2.5, 1000), tol = 1e-13)$root", NULL),
  list("power_t_test_n7_sd3_power80_delta", "power.t.test(n = 7, sd = 3, power = 0.8)$delta", pt_note),
  list("power_t_test_n7_sd3_power80_delta_exact", "power.t.test(n = 7, sd = 3, power = 0.8, strict = TRUE, tol = 1e-13)$delta", "strict = TRUE: both tails; tight tolerance"),
  list("power_t_test_delta2_sd3_power80_n", "power.t.test(delta = 2, sd = 3, power = 0.8)$n", pt_note),
  list("power_t_test_delta2_sd3_power80_n_exact", "power.t.test(delta = 2, sd = 3, power = 0.8, strict = TRUE, tol = 1e-13)$n", "strict = TRUE: both tails; tight tolerance"),
  list("pwr_r_test_n45_power80_r", "pwr.r.test(n = 45, power = 0.8)$r", paste(pw_note, "| pwr.r.test is an approximation (Fisher z with bias term r/(2(n-1)), critical r from qt(df = n-2)); statsmodels has no equivalent")),
  list("pwr_r_test_n45_power80_r_exact", "uniroot(function(r) pwr.r.test(n = 45, r = r)$power - 0.8, c(1e-10, 1 - 1e-10), tol = 1e-13)$root", NULL),
  list("pwr_r_test_n14_power80_r", "pwr.r.test(n = 14, power = 0.8)$r", pw_note),
  list("pwr_r_test_n14_power80_r_exact", "uniroot(function(r) pwr.r.test(n = 14, r = r)$power - 0.8, c(1e-10, 1 - 1e-10), tol = 1e-13)$root", NULL),
  list("pwr_t_test_paired_n14_power80_d", 'pwr.t.test(n = 14, power = 0.8, type = "paired")$d', pw_note),
  list("pwr_t_test_paired_n14_power80_d_exact", 'uniroot(function(d) pwr.t.test(n = 14, d = d, type = "paired")$power - 0.8, c(1e-07, 10), tol = 1e-13)$root', NULL),
  list("power_t_test_paired_n14_delta2_sd3_power", 'power.t.test(n = 14, delta = 2, sd = 3, type = "paired")$power', paste(pt_note, "| sd is the SD of the paired differences")),
  list("power_t_test_paired_n14_delta2_sd3_power_strict", 'power.t.test(n = 14, delta = 2, sd = 3, type = "paired", strict = TRUE)$power', "strict = TRUE: both tails (matches pwr / statsmodels)")
)
for (pc in power_cases) run_case(pc[[1]], pc[[2]], PW, note = pc[[3]])

##############################################################################
## 8. Two-proportion power (arcsine h)
##############################################################################
run_case("ES_h_030_040", "ES.h(0.30, 0.40)", PW, note = "2*asin(sqrt(p1)) - 2*asin(sqrt(p2)); statsmodels.stats.proportion.proportion_effectsize(0.30, 0.40)")
run_case("pwr_2p2n_test_h_030_040_n937_620_power",
         "pwr.2p2n.test(h = ES.h(0.30, 0.40), n1 = 937, n2 = 620)$power", PW)
run_case("pwr_2p2n_test_n937_620_power80_h",
         "pwr.2p2n.test(n1 = 937, n2 = 620, power = 0.8)$h", PW, note = pw_note)
run_case("pwr_2p2n_test_n937_620_power80_h_exact",
         "uniroot(function(h) pwr.2p2n.test(h = h, n1 = 937, n2 = 620)$power - 0.8, c(1e-10, 10), tol = 1e-13)$root", PW)

##############################################################################
## 9. One-way ANOVA, Welch ANOVA and pairwise t tests from summaries
##############################################################################
anova_sets <- list(
  A = 'n <- c(24, 30, 25); m <- c(73.9, 68.2, 63.5); s <- c(17.8, 11.1, 10.2)',
  B = 'n <- c(24, 30, 25); m <- c(9.7, 6.3, 6.4); s <- c(2.1, 2.8, 2.8)')
SIM <- 'set.seed(1)
y <- unlist(lapply(1:3, function(j) m[j] + s[j] * scale(rnorm(n[j]))[, 1]))
g <- factor(rep(1:3, n))'
for (set in names(anova_sets)) {
  S <- anova_sets[[set]]
  run_case(paste0("anova_summary_", set),
           paste0(S, '
k <- length(n); N <- sum(n); grand <- sum(n * m) / N
ssb <- sum(n * (m - grand)^2); ssw <- sum((n - 1) * s^2)
df1 <- k - 1; df2 <- N - k
F <- (ssb / df1) / (ssw / df2)
c(F = F, df1 = df1, df2 = df2, p = pf(F, df1, df2, lower.tail = FALSE), ssb = ssb, ssw = ssw)'))
  run_case(paste0("welch_anova_summary_", set),
           paste0(S, '
k <- length(n); w <- n / s^2; mw <- sum(w * m) / sum(w)
lam <- sum((1 - w / sum(w))^2 / (n - 1))
F <- (sum(w * (m - mw)^2) / (k - 1)) / (1 + 2 * (k - 2) * lam / (k^2 - 1))
df2 <- (k^2 - 1) / (3 * lam)
c(F = F, df1 = k - 1, df2 = df2, p = pf(F, k - 1, df2, lower.tail = FALSE))'),
           note = "Welch (1951) from summaries; identical to oneway.test(var.equal = FALSE) on data with these moments")
  run_case(paste0("welch_anova_oneway_test_sim_", set),
           paste0(S, '\n', SIM, '
ow <- oneway.test(y ~ g, var.equal = FALSE)
c(F = unname(ow$statistic), df1 = unname(ow$parameter[1]), df2 = unname(ow$parameter[2]), p = ow$p.value)'),
           note = "simulated data with exactly the given means and SDs (scale() forces exact moments)")
  run_case(paste0("anova_oneway_test_sim_", set),
           paste0(S, '\n', SIM, '
ow <- oneway.test(y ~ g, var.equal = TRUE)
c(F = unname(ow$statistic), df1 = unname(ow$parameter[1]), df2 = unname(ow$parameter[2]), p = ow$p.value)'),
           note = "cross-check of anova_summary_* on simulated data")
  for (j in 2:3) {
    run_case(sprintf("ttest_summary_%s_g1_vs_g%d", set, j),
             paste0(S, sprintf('\nj <- %d', j), '
sp2 <- ((n[1] - 1) * s[1]^2 + (n[j] - 1) * s[j]^2) / (n[1] + n[j] - 2)
t_student <- (m[1] - m[j]) / sqrt(sp2 * (1 / n[1] + 1 / n[j])); df_student <- n[1] + n[j] - 2
v1 <- s[1]^2 / n[1]; vj <- s[j]^2 / n[j]
t_welch <- (m[1] - m[j]) / sqrt(v1 + vj)
df_welch <- (v1 + vj)^2 / (v1^2 / (n[1] - 1) + vj^2 / (n[j] - 1))
c(t_student = t_student, df_student = df_student, p_student = 2 * pt(-abs(t_student), df_student),
  t_welch = t_welch, df_welch = df_welch, p_welch = 2 * pt(-abs(t_welch), df_welch))'),
             note = "group 1 minus group j; scipy.stats.ttest_ind_from_stats(m1, s1, n1, mj, sj, nj, equal_var=True/False)")
    run_case(sprintf("ttest_sim_%s_g1_vs_g%d", set, j),
             paste0(S, '\n', SIM, sprintf('\nj <- %d', j), '
ts <- t.test(y[g == 1], y[g == j], var.equal = TRUE); tw <- t.test(y[g == 1], y[g == j])
c(t_student = unname(ts$statistic), df_student = unname(ts$parameter), p_student = ts$p.value,
  t_welch = unname(tw$statistic), df_welch = unname(tw$parameter), p_welch = tw$p.value)'),
             note = "cross-check of ttest_summary_* via t.test on simulated data with exact moments")
  }
}

##############################################################################
## 10. Paired t from summaries; one-way repeated-measures ANOVA
##############################################################################
for (rho in c(0, 0.3, 0.5, 0.8)) {
  rt <- sub("\\.", "", format(rho))
  run_case(paste0("paired_t_summary_rho", rt),
           sprintf('n <- 14; m1 <- 3.26; m2 <- 2.12; s1 <- 2.78; s2 <- 1.61; rho <- %s
sd_d <- sqrt(s1^2 + s2^2 - 2 * rho * s1 * s2)
t <- (m1 - m2) / (sd_d / sqrt(n))
c(sd_d = sd_d, t = t, df = n - 1, p = 2 * pt(-abs(t), df = n - 1))', format(rho)))
}
RM_DATA <- 'n <- 14; mu <- c(3.37, 5.10, 7.69); s <- c(2.38, 1.90, 3.69); rho <- %s
R <- matrix(rho, 3, 3); diag(R) <- 1
Sigma <- diag(s) %%*%% R %%*%% diag(s)
set.seed(1)
Y <- MASS::mvrnorm(n, mu = mu, Sigma = Sigma, empirical = TRUE)
d <- data.frame(id = factor(rep(1:n, times = 3)), cond = factor(rep(1:3, each = n)),
                pace = rep(c(70, 85, 100), each = n), y = as.vector(Y))'
for (rho in c(0, 0.3, 0.5, 0.8)) {
  rt <- sub("\\.", "", format(rho))
  run_case(paste0("rm_anova_aov_rho", rt),
           paste0(sprintf(RM_DATA, format(rho)), '
fit <- aov(y ~ cond + Error(id/cond), data = d)
tab <- summary(fit)[["Error: id:cond"]][[1]]
c(F = tab[1, "F value"], df1 = tab[1, "Df"], df2 = tab[2, "Df"], p = tab[1, "Pr(>F)"],
  ss_cond = tab[1, "Sum Sq"], ss_error = tab[2, "Sum Sq"])'),
           c("MASS"))
  run_case(paste0("rm_anova_summary_rho", rt),
           sprintf('n <- 14; mu <- c(3.37, 5.10, 7.69); s <- c(2.38, 1.90, 3.69); rho <- %s; k <- 3
R <- matrix(rho, k, k); diag(R) <- 1
S <- diag(s) %%*%% R %%*%% diag(s)
C <- diag(k) - matrix(1 / k, k, k)
CSC <- C %%*%% S %%*%% C
ss_cond <- n * sum((mu - mean(mu))^2)
ss_error <- (n - 1) * sum(diag(CSC))
F <- (ss_cond / (k - 1)) / (ss_error / ((n - 1) * (k - 1)))
eps_gg <- sum(diag(CSC))^2 / ((k - 1) * sum(diag(CSC %%*%% CSC)))
c(F = F, df1 = k - 1, df2 = (n - 1) * (k - 1), p = pf(F, k - 1, (n - 1) * (k - 1), lower.tail = FALSE),
  ss_cond = ss_cond, ss_error = ss_error, eps_gg = eps_gg,
  p_gg = pf(F, eps_gg * (k - 1), eps_gg * (n - 1) * (k - 1), lower.tail = FALSE))', format(rho)),
           note = "closed form from summaries (needs only means and the covariance matrix): equals rm_anova_aov_*; eps_gg / p_gg are the Greenhouse-Geisser epsilon of the population covariance and the corrected p")
}

##############################################################################
## 11. Weighted linear regression of means on pace
##############################################################################
LM_OUT <- 'cf <- summary(fit)$coefficients; ci <- confint(fit)
c(slope = cf["x", "Estimate"], se = cf["x", "Std. Error"], t = cf["x", "t value"], p = cf["x", "Pr(>|t|)"],
  ci.lb = ci["x", 1], ci.ub = ci["x", 2], intercept = cf["(Intercept)", "Estimate"],
  intercept_se = cf["(Intercept)", "Std. Error"], sigma = summary(fit)$sigma, df = fit$df.residual)'
run_case("lm_weighted_means_on_pace",
         paste0('x <- c(70, 85, 100); y <- c(3.37, 5.10, 7.69); w <- 14 / c(2.38, 1.90, 3.69)^2
fit <- lm(y ~ x, weights = w)\n', LM_OUT),
         note = "statsmodels WLS(y, add_constant(x), weights=w); residual variance estimated (df = 1), t-based CI")
run_case("lm_unweighted_means_on_pace",
         paste0('x <- c(70, 85, 100); y <- c(3.37, 5.10, 7.69)
fit <- lm(y ~ x)\n', LM_OUT))
run_case("rma_FE_metaregression_means_on_pace",
         'x <- c(70, 85, 100); y <- c(3.37, 5.10, 7.69); vi <- c(2.38, 1.90, 3.69)^2 / 14
res <- rma(yi = y, vi = vi, mods = ~ x, method = "FE")
c(slope = res$b[2, 1], se = res$se[2], zval = res$zval[2], pval = res$pval[2],
  ci.lb = res$ci.lb[2], ci.ub = res$ci.ub[2], QE = res$QE)',
         MF, note = "same weights treated as known inverse variances (scale fixed at 1, z-based): WLS se / summary(fit)$sigma")

##############################################################################
## 12. Linear mixed model on the rho = 0.5 repeated-measures data
##############################################################################
run_case("lme_random_intercept_rho05",
         paste0(sprintf(RM_DATA, "0.5"), '
fit <- nlme::lme(y ~ pace, random = ~ 1 | id, data = d, method = "REML")
tt <- summary(fit)$tTable
c(intercept = tt["(Intercept)", "Value"], slope = tt["pace", "Value"], slope_se = tt["pace", "Std.Error"],
  slope_df = tt["pace", "DF"], slope_t = tt["pace", "t-value"], slope_p = tt["pace", "p-value"],
  sd_intercept = sqrt(as.numeric(nlme::getVarCov(fit))), sd_resid = fit$sigma,
  logLik_reml = as.numeric(logLik(fit)))'),
         c("MASS", "nlme"),
         note = "data identical to tests/reference/mixed_data.csv; statsmodels MixedLM.from_formula('y ~ pace', data, groups='id').fit(reml=True): scale = sd_resid^2, cov_re = sd_intercept^2")
run_case("lme_random_intercept_rho05_prediction",
         paste0(sprintf(RM_DATA, "0.5"), '
fit <- nlme::lme(y ~ pace, random = ~ 1 | id, data = d, method = "REML")
x0 <- c(60, 85, 110)
X <- cbind(1, x0)
m <- as.numeric(predict(fit, newdata = data.frame(pace = x0), level = 0))
se <- sqrt(diag(X %*% vcov(fit) %*% t(X)))
sd_new <- sqrt(se^2 + as.numeric(nlme::getVarCov(fit)) + fit$sigma^2)
z <- qnorm(0.975); z90 <- qnorm(0.95)
list(intercept = unname(nlme::fixef(fit)[1]), slope = unname(nlme::fixef(fit)[2]),
     vcov = as.numeric(vcov(fit)), sd_intercept = sqrt(as.numeric(nlme::getVarCov(fit))),
     sd_resid = fit$sigma, x = x0, mean = m, ci.lb = m - z * se, ci.ub = m + z * se,
     pi.lb = m - z * sd_new, pi.ub = m + z * sd_new, pi90.lb = m - z90 * sd_new, pi90.ub = m + z90 * sd_new)'),
         c("MASS", "nlme"),
         note = "mean from predict(level = 0); its SE from vcov (a^T V a); a new runner adds the random-intercept and residual variances; normal quantiles, as runspine.stats.models.mixed_prediction")
run_case("lme_random_intercept_rho05_closed_form",
         paste0(sprintf(RM_DATA, "0.5"), '
Ym <- matrix(d$y, nrow = n, ncol = 3)        # rows = subjects, columns = paces 70, 85, 100
pc <- c(70, 85, 100) - 85
sm <- rowMeans(Ym)
ss_between <- 3 * sum((sm - mean(sm))^2)     # between-subject stratum, n - 1 df
dev <- Ym - sm                               # within-subject deviations
slope <- sum(colMeans(Ym) * pc) / sum(pc^2)
ss_within_resid <- sum(dev^2) - n * sum(pc^2) * slope^2   # within stratum, 2n - 1 df
sigma2_e <- ss_within_resid / (2 * n - 1)
sigma2_u <- (ss_between / (n - 1) - sigma2_e) / 3
c(slope = slope, slope_se = sqrt(sigma2_e / (n * sum(pc^2))), intercept = mean(colMeans(Ym)) - slope * 85,
  sd_intercept = sqrt(sigma2_u), sd_resid = sqrt(sigma2_e))'),
         c("MASS"),
         note = "exact REML solution for this balanced design (stratum mean squares; valid because sigma2_u > 0): the precise target for lme/lmer/MixedLM, which agree with it only to their optimizer tolerance")
if (have_lme4) {
  run_case("lmer_random_intercept_rho05",
           paste0(sprintf(RM_DATA, "0.5"), '
fit <- lme4::lmer(y ~ pace + (1 | id), data = d, REML = TRUE)
vc <- as.data.frame(lme4::VarCorr(fit))
c(slope = unname(lme4::fixef(fit)["pace"]), slope_se = sqrt(vcov(fit)["pace", "pace"]),
  sd_intercept = vc$sdcor[vc$grp == "id"], sd_resid = vc$sdcor[vc$grp == "Residual"])'),
           c("MASS", "lme4"), note = "cross-check of lme_random_intercept_rho05 with lme4")
}

## save the simulated data for Python (full precision), and check the round trip
local({
  env <- new.env(parent = globalenv())
  eval(parse(text = sprintf(RM_DATA, "0.5")), envir = env)
  d <- env$d
  out <- data.frame(id = as.integer(d$id), pace = d$pace, y = sprintf("%.17g", d$y))
  write.csv(out, csv_path, row.names = FALSE, quote = FALSE)
  back <- read.csv(csv_path)
  stopifnot(identical(back$y, d$y), identical(back$id, as.integer(d$id)))
  cat("wrote ", csv_path, " (", nrow(out), " rows)\n", sep = "")
})

## write JSON ------------------------------------------------------------------
json <- jsonlite::toJSON(prep_json(cases), auto_unbox = TRUE, json_verbatim = TRUE, pretty = TRUE)
writeLines(json, json_path)
cat("wrote ", json_path, " (", length(cases), " cases)\n", sep = "")
n_err <- sum(vapply(cases, function(e) !is.null(e$error), logical(1)))
cat("cases with errors: ", n_err, "\n", sep = "")
cat("R: ", r_version, "\n", sep = "")
for (p in c("metafor", "metadat", "pwr", "MASS", "nlme", "jsonlite", if (have_lme4) "lme4"))
  cat("  ", p, " ", pkgver(p), "\n", sep = "")
