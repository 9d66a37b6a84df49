# make_reference_rules.R -- R reference values for tests/test_rules.py (notebook 06).
#
# R is NOT a dependency of runspine; run by hand to regenerate
# tests/reference/r_reference_rules.json:
#   Rscript tests/reference/make_reference_rules.R
# Each case is an R code string evaluated with eval(parse(text = r_call)) in a fresh
# environment (same conventions as make_reference.R). Packages: metafor, jsonlite, pwr
# (1.3.0). The power cases call pwr itself: pwr::pwr.2p2n.test (normal test of Cohen's h),
# pwr::pwr.r.test (Fisher z with the r / (2 (n - 1)) bias term) and pwr::ES.h. Where a
# power is solved for, the case runs uniroot(tol = 1e-13) on pwr's $power rather than
# letting pwr solve, because pwr's own uniroot uses the default tol (~1.2e-4).

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
  library(pwr)
})
script_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f)) dirname(normalizePath(f)) else getwd()
})

# Menezes Costa 2012 pain course (abstract), SE = CI half-width / qnorm(0.975)
pain <- "t <- c(0, 6, 26, 52)
acute <- list(y = c(52, 23, 12, 6), lo = c(48, 21, 9, 3), hi = c(57, 25, 15, 10))
pers <- list(y = c(51, 33, 26, 23), lo = c(44, 29, 20, 16), hi = c(59, 38, 33, 30))
se_of <- function(d) (d$hi - d$lo) / (2 * qnorm(0.975))"

nls_case <- function(cohort, formula, start, extra = "", tol = "1e-8") {
  paste0(pain, "\nd <- ", cohort, "; se <- se_of(d); y <- d$y
fit <- nls(", formula, ", start = ", start, ", weights = 1 / se^2,
           control = nls.control(tol = ", tol, ", maxiter = 1000, minFactor = 1e-12))
s2 <- summary(fit)$sigma^2
V <- vcov(fit) / s2  # known SEs (absolute sigma): undo nls's residual-variance scaling
b <- coef(fit)
out <- c(b, se = sqrt(diag(V)), chi2 = deviance(fit))", extra, "\nout")
}

# delta-method prediction and time-to-level for the exponential plateau form
ep_extra <- "
g <- function(tt) c(exp(-b[['k']] * tt), 1 - exp(-b[['k']] * tt), -(b[['y0']] - b[['c']]) * tt * exp(-b[['k']] * tt))
f <- function(tt) b[['c']] + (b[['y0']] - b[['c']]) * exp(-b[['k']] * tt)
for (tt in c(2, 4, 6)) {
  out[paste0('pred', tt)] <- f(tt)
  out[paste0('pred_se', tt)] <- sqrt(drop(t(g(tt)) %*% V %*% g(tt)))
}
L <- 10
if (b[['c']] < L) {
  t10 <- log((b[['y0']] - b[['c']]) / (L - b[['c']])) / b[['k']]
  dfdt <- -b[['k']] * (b[['y0']] - b[['c']]) * exp(-b[['k']] * t10)
  gt <- -g(t10) / dfdt
  out['t10'] <- t10
  out['t10_se'] <- sqrt(drop(t(gt) %*% V %*% gt))
}"

cases <- list(
  chisq_buist_54_260_52_256 =
    "tab <- matrix(c(54, 260 - 54, 52, 256 - 52), 2, byrow = TRUE)\nct <- chisq.test(tab, correct = FALSE)\nc(statistic = unname(ct$statistic), p = ct$p.value)",
  chisq_buist_36_173_73_359 =
    "tab <- matrix(c(36, 173 - 36, 73, 359 - 73), 2, byrow = TRUE)\nct <- chisq.test(tab, correct = FALSE)\nc(statistic = unname(ct$statistic), p = ct$p.value)",
  chisq_yates_buist_36_173_73_359 =
    "tab <- matrix(c(36, 173 - 36, 73, 359 - 73), 2, byrow = TRUE)\nct <- chisq.test(tab, correct = TRUE)\nc(statistic = unname(ct$statistic), p = ct$p.value)",
  escalc_RR_buist_54_260_52_256 =
    "es <- escalc(measure = \"RR\", ai = 54, n1i = 260, ci = 52, n2i = 256)\nyi <- as.numeric(es$yi); vi <- as.numeric(es$vi)\nc(yi = yi, vi = vi, rr = exp(yi), ci.lb = exp(yi - qnorm(0.975) * sqrt(vi)), ci.ub = exp(yi + qnorm(0.975) * sqrt(vi)), pval = 2 * pnorm(-abs(yi / sqrt(vi))))",
  pwr_2p2n_264_268_power80_rr =
    "h <- uniroot(function(h) pwr::pwr.2p2n.test(h = h, n1 = 264, n2 = 268)$power - 0.8, c(1e-06, 3), tol = 1e-13)$root\np0 <- 0.203\nc(h = h, rr_lower = sin(asin(sqrt(p0)) - h / 2)^2 / p0, rr_higher = sin(asin(sqrt(p0)) + h / 2)^2 / p0)",
  pwr_2p2n_264_268_rr07_power =
    "p0 <- 0.203\npwr::pwr.2p2n.test(h = pwr::ES.h(0.7 * p0, p0), n1 = 264, n2 = 268)$power",
  # rr_from_h: the proportion Cohen's h away from p0, found by solving pwr::ES.h rather
  # than by the closed form, then divided by p0
  rr_from_h_p0203_h025 =
    "p0 <- 0.203; h <- 0.25\nhi <- uniroot(function(p) pwr::ES.h(p, p0) - h, c(p0, 1), tol = 1e-15)$root\nlo <- uniroot(function(p) pwr::ES.h(p, p0) + h, c(0, p0), tol = 1e-15)$root\nc(rr_higher = hi / p0, rr_lower = lo / p0)",
  rr_from_h_p05_h08 =
    "p0 <- 0.5; h <- 0.8\nhi <- uniroot(function(p) pwr::ES.h(p, p0) - h, c(p0, 1), tol = 1e-15)$root\nlo <- uniroot(function(p) pwr::ES.h(p, p0) + h, c(0, p0), tol = 1e-15)$root\nc(rr_higher = hi / p0, rr_lower = lo / p0)",
  p_from_ci_nielsen_hr =
    "se <- (log(2.66) - log(0.96)) / (2 * qnorm(0.975))\nc(se = se, z = log(1.59) / se, p = 2 * pnorm(-abs(log(1.59) / se)))",
  critical_r_n15 =
    "tc <- qt(0.975, 13)\ntc / sqrt(13 + tc^2)",
  cor_test_at_critical_r_n15 =
    "tc <- qt(0.975, 13); r <- tc / sqrt(13 + tc^2)\nset.seed(2)\nx <- scale(rnorm(15))[, 1]; e <- residuals(lm(scale(rnorm(15))[, 1] ~ x)); e <- e / sd(e)\ny <- r * x + sqrt(1 - r^2) * e\ncor.test(x, y)$p.value",
  pwr_r_test_n15_power80_r_exact =
    "uniroot(function(r) pwr::pwr.r.test(n = 15, r = r)$power - 0.8, c(1e-10, 1 - 1e-10), tol = 1e-13)$root",
  welch_rodacki30_vs_garbutt85 =
    "mk <- function(m, s, n) { set.seed(n); m + s * scale(rnorm(n))[, 1] }\ntt <- t.test(mk(5.27, 1.92, 15), mk(5.10, 1.90, 14))\nc(t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value)",
  t_test_ci_rodacki30 =
    "set.seed(15); x <- 5.27 + 1.92 * scale(rnorm(15))[, 1]\nt.test(x)$conf.int[1:2]",
  nls_exp_plateau_acute =
    nls_case("acute", "y ~ c + (y0 - c) * exp(-k * t)", "list(y0 = 52, c = 5, k = 0.2)", ep_extra),
  nls_exp_plateau_persistent =
    nls_case("pers", "y ~ c + (y0 - c) * exp(-k * t)", "list(y0 = 51, c = 20, k = 0.2)", ep_extra),
  nls_exponential_acute =
    nls_case("acute", "y ~ y0 * exp(-k * t)", "list(y0 = 52, k = 0.1)"),
  nls_hyperbolic_acute =
    nls_case("acute", "y ~ c + (y0 - c) / (1 + k * t)", "list(y0 = 52, c = 5, k = 0.2)", tol = "1e-6"),
  nls_hyperbolic_persistent =
    nls_case("pers", "y ~ c + (y0 - c) / (1 + k * t)", "list(y0 = 51, c = 20, k = 0.2)", tol = "1e-6")
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
                package_versions = list(metafor = as.character(packageVersion("metafor")),
                                        pwr = as.character(packageVersion("pwr"))))
  if (length(val) == 1 && is.null(names(val))) {
    entry$value <- as.numeric(fmt(unname(val)))
  } else {
    if (is.null(names(val))) names(val) <- paste0("v", seq_along(val))
    entry$values <- lapply(as.list(val), function(v) as.numeric(fmt(unname(v))))
  }
  print(id); print(val)
  out[[id]] <- entry
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(script_dir, "r_reference_rules.json"))
