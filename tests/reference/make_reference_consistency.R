# make_reference_consistency.R -- R reference values for tests/test_consistency.py
# (runspine.stats.consistency).
#
# R is NOT a dependency of runspine; run by hand to regenerate
# tests/reference/r_reference_consistency.json:
#   Rscript tests/reference/make_reference_consistency.R
# Packages: statcheck (1.4.0, Debian r-cran-statcheck), jsonlite. Each case is an R code
# string evaluated with eval(parse(text = r_call)) in a fresh environment; its value is
# stored with the call. GRIM and GRIMMER are not in any installed R package (scrutiny is
# not packaged for Debian), so their reference is an exhaustive enumeration written here
# in base R, independent of the Python algorithm: every total (GRIM) or every reachable
# (total, sum of squares) pair of n integer values on the scale (GRIMMER, by dynamic
# programming over counts), kept when its mean and SD round (ties either way) to the
# printed ones.

suppressPackageStartupMessages({
  library(statcheck)
  library(jsonlite)
})
script_dir <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f)) dirname(normalizePath(f)) else getwd()
})

helpers <- "
within <- function(x, printed, dec) abs(x - printed) <= 0.5 * 10^-dec + 1e-9
# GRIM by enumeration: every total of n values on the integer scale lo..hi (in units of g)
grim_enum <- function(mean, n, dec, lo, hi, g = 1) {
  k <- (n * lo):(n * hi)
  any(within(k * g / n, mean, dec))
}
# GRIMMER by enumeration: reachable (total, sum of squares) of n integers in lo..hi
grimmer_enum <- function(mean, sd, n, dec_m, dec_s, lo, hi, g = 1) {
  S <- n * hi; Q <- n * hi^2
  reach <- vector('list', n + 1)
  reach[[1]] <- matrix(FALSE, S + 1, Q + 1); reach[[1]][1, 1] <- TRUE
  for (c in 2:(n + 1)) reach[[c]] <- matrix(FALSE, S + 1, Q + 1)
  for (v in lo:hi) for (c in 2:(n + 1)) {
    src <- which(reach[[c - 1]], arr.ind = TRUE)
    if (nrow(src)) {
      dst <- cbind(src[, 1] + v, src[, 2] + v^2)
      ok <- dst[, 1] <= S + 1 & dst[, 2] <= Q + 1
      reach[[c]][dst[ok, , drop = FALSE]] <- TRUE
    }
  }
  pairs <- which(reach[[n + 1]], arr.ind = TRUE) - 1
  s <- pairs[, 1]; q <- pairs[, 2]
  m <- s * g / n; sdv <- g * sqrt(pmax(q - s^2 / n, 0) / (n - 1))
  any(within(m, mean, dec_m) & within(sdv, sd, dec_s))
}
"
sc <- function(txt, one_tailed = FALSE)
  paste0("r <- statcheck::statcheck('", txt, "', messages = FALSE",
         if (one_tailed) ", OneTailedTxt = TRUE" else "", ")\n",
         "c(computed_p = r$computed_p, error = as.numeric(r$error), ",
         "decision_error = as.numeric(r$decision_error))")
ps <- function(args)
  paste0("r <- statcheck:::process_stats(", args, ", alpha = 0.05, pZeroError = TRUE, ",
         "pEqualAlphaSig = TRUE, OneTailedTxt = FALSE, OneTailedTests = FALSE, ",
         "OneTailedInTxt = FALSE, two_tailed = TRUE)\n",
         "c(computed_p = r$computed_p, error = as.numeric(r$error), ",
         "decision_error = as.numeric(r$decision_error))")
pci <- function(e, l, u, dec, ratio)
  paste0("f <- ", if (ratio) "log" else "identity", "; e <- ", e, "; l <- ", l, "; u <- ", u,
         "; h <- 0.5 * 10^-", dec, "\n",
         "pf <- function(e, l, u) 2 * pnorm(-abs(f(e) / ((f(u) - f(l)) / (2 * qnorm(0.975)))))\n",
         "g <- expand.grid(e = e + c(-h, h), l = l + c(-h, h), u = u + c(-h, h))\n",
         "pc <- mapply(pf, g$e, g$l, g$u)\n",
         "c(se = (f(u) - f(l)) / (2 * qnorm(0.975)), p = pf(e, l, u), p_min = min(pc), p_max = max(pc))")
sym <- function(e, l, u, dec)
  paste0("e <- ", e, "; l <- ", l, "; u <- ", u, "; h <- 0.5 * 10^-", dec, "\n",
         "g <- expand.grid(e = e + c(-h, h), l = l + c(-h, h), u = u + c(-h, h))\n",
         "al <- log(g$u) + log(g$l) - 2 * log(g$e)\n",
         "c(natural = u + l - 2 * e, log = log(u) + log(l) - 2 * log(e), ",
         "log_min = min(al), log_max = max(al))")
tt <- function(m1, s1, n1, m2, s2, n2, dec)
  paste0("h <- 0.5 * 10^-", dec, "\n",
         "student <- function(m1, s1, n1, m2, s2, n2) {\n",
         "  sp <- sqrt(((n1 - 1) * s1^2 + (n2 - 1) * s2^2) / (n1 + n2 - 2))\n",
         "  2 * pt(-abs((m1 - m2) / (sp * sqrt(1 / n1 + 1 / n2))), n1 + n2 - 2) }\n",
         "d <- abs(", m1, " - ", m2, ")\n",
         "c(p = student(", m1, ", ", s1, ", ", n1, ", ", m2, ", ", s2, ", ", n2, "),\n",
         "  p_se = student(", m1, ", ", s1, " * sqrt(", n1, "), ", n1, ", ", m2, ", ", s2,
         " * sqrt(", n2, "), ", n2, "),\n",
         "  p_min = student(d + 2 * h, ", s1, " - h, ", n1, ", 0, ", s2, " - h, ", n2, "),\n",
         "  p_max = student(max(d - 2 * h, 0), ", s1, " + h, ", n1, ", 0, ", s2, " + h, ", n2, "))")

cases <- list(
  # statcheck's documented example (?statcheck, Examples)
  sc_manual_example = paste0("r <- statcheck::statcheck('blablabla the effect was very ",
                             "significant (t(100)=1, p < 0.001)', messages = FALSE)\n",
                             "c(computed_p = r$computed_p, error = as.numeric(r$error), ",
                             "decision_error = as.numeric(r$decision_error))"),
  # statcheck's own extraction and decision rules on printed results
  sc_t_error = sc("t(28) = 2.20, p = .03"),
  sc_t_ok = sc("t(28) = 2.20, p = .04"),
  sc_F_ok = sc("F(2, 56) = 3.24, p = .046"),
  sc_r_ok = sc("r(48) = .30, p = .03"),
  sc_chi2_ok = sc("χ2(1) = 3.84, p = .05"),
  sc_t_decision = sc("t(15) = 1.50, p < .05"),
  sc_chatzitheodorou = sc("t(10) = 8.51, p < .001"),
  sc_mitchell_r_n8 = sc("r(6) = .787, p = .021"),
  sc_mitchell_r_n9 = sc("r(7) = .787, p = .021"),
  sc_F_ns = sc("F(1, 30) = 1.12, ns"),
  sc_t_two_tailed = sc("t(58) = 1.70, p = .047"),
  sc_t_one_tailed = sc("t(58) = 1.70, p = .047, one-tailed", one_tailed = TRUE),
  sc_t_stat_less = sc("t(20) < 1.00, p = .50"),
  sc_t_p_greater = sc("t(20) = 1.00, p > .20"),
  # z: statcheck 1.4 does not extract z from text; its rule applied directly
  sc_z_ok = ps(paste0("test_type = 'Z', test_stat = 1.96, df1 = NA, df2 = NA, ",
                      "reported_p = 0.05, p_comparison = '=', test_comparison = '=', ",
                      "p_dec = 2, test_dec = 2")),
  sc_z_error = ps(paste0("test_type = 'Z', test_stat = 2.10, df1 = NA, df2 = NA, ",
                         "reported_p = 0.02, p_comparison = '=', test_comparison = '=', ",
                         "p_dec = 2, test_dec = 2")),
  # GRIM: documented examples (scrutiny vignette: grim('5.27', 43) FALSE; a die rolled
  # 20 times cannot average 3.48) and Mitchell 2020 (ODI in even %, Pfirrmann grades 1-5)
  grim_scrutiny_527_43 = paste0(helpers, "grim_enum(5.27, 43, 2, 0, 10)"),
  grim_die_348_20 = paste0(helpers, "grim_enum(3.48, 20, 2, 1, 6)"),
  grim_die_350_20 = paste0(helpers, "grim_enum(3.50, 20, 2, 1, 6)"),
  grim_odi_375 = paste0(helpers, "sapply(c(n7 = 7, n8 = 8, n9 = 9), function(n) grim_enum(3.75, n, 2, 0, 50, 2))"),
  grim_odi_629 = paste0(helpers, "sapply(c(n7 = 7, n8 = 8, n9 = 9), function(n) grim_enum(6.29, n, 2, 0, 50, 2))"),
  grim_pfirrmann_33_8 = paste0(helpers, "grim_enum(3.3, 8, 1, 1, 5)"),
  # GRIMMER: scrutiny vignette grimmer('7.3', '2.51', 12) FALSE; Mitchell Pfirrmann rows
  grimmer_scrutiny_73_251_12 = paste0(helpers, "c(grim = grim_enum(7.3, 12, 1, 0, 20), grimmer = grimmer_enum(7.3, 2.51, 12, 1, 2, 0, 20))"),
  grimmer_73_250_12 = paste0(helpers, "grimmer_enum(7.3, 2.50, 12, 1, 2, 0, 20)"),
  grimmer_pfirrmann_22_07_9 = paste0(helpers, "grimmer_enum(2.2, 0.7, 9, 1, 1, 1, 5)"),
  grimmer_pfirrmann_33_10_8 = paste0(helpers, "grimmer_enum(3.3, 1.0, 8, 1, 1, 1, 5)"),
  grimmer_pfirrmann_19_02_9_quarters = paste0(helpers, "grimmer_enum(1.9, 0.2, 9, 1, 1, 4, 20, 0.25)"),
  grimmer_pfirrmann_25_07_8_quarters = paste0(helpers, "grimmer_enum(2.5, 0.7, 8, 1, 1, 4, 20, 0.25)"),
  grimmer_small_sd_5 = paste0(helpers, "grimmer_enum(3.0, 0.10, 5, 2, 2, 0, 10)"),
  grimmer_parity_6 = paste0(helpers, "grimmer_enum(2.50, 1.20, 6, 2, 2, 0, 10)"),
  # percentages vs denominators (Buist 2008: 20.8 % and 20.3 %)
  pct_208_264 = "n <- 264; k <- 0:n; k[abs(100 * k / n - 20.8) <= 0.05 + 1e-9]",
  pct_203_268 = "n <- 268; k <- 0:n; k[abs(100 * k / n - 20.3) <= 0.05 + 1e-9]",
  # P from a CI (Altman & Bland 2011) over rounding
  pci_nielsen_hr = pci(1.59, 0.96, 2.66, 2, TRUE),
  pci_bahr_or = pci(1.94, 1.29, 2.92, 2, TRUE),
  pci_cuesta_rmq = pci(-2.5, -5.7, -0.2, 1, FALSE),
  pci_cuesta_vas = pci(-26.0, -40.9, -11.1, 1, FALSE),
  # P from each half of an interval alone (Altman & Bland 2011's SE from one half):
  # Cuesta-Vargas 2012 RMQ -2.5 (-5.7 to -0.2), and a positive estimate at level 0.90
  halves_cuesta_rmq = "e <- -2.5; l <- -5.7; u <- -0.2; z <- qnorm(0.975)
c(p_lower = 2 * pnorm(-abs(e) / ((e - l) / z)), p_upper = 2 * pnorm(-abs(e) / ((u - e) / z)))",
  halves_positive_level90 = "e <- 1.2; l <- 0.1; u <- 2.8; z <- qnorm(0.95)
c(p_lower = 2 * pnorm(-abs(e) / ((e - l) / z)), p_upper = 2 * pnorm(-abs(e) / ((u - e) / z)))",
  sym_cuesta_rmq = "e <- -2.5; l <- -5.7; u <- -0.2; c(natural = u + l - 2 * e, lower_half = e - l, upper_half = u - e)",
  sym_nielsen_hr = sym(1.59, 0.96, 2.66, 2),
  sym_bahr_or = sym(1.94, 1.29, 2.92, 2),
  # Mitchell 2020 ODI: Student t with the printed n (9 / 8) and with 8 / 7
  tt_mitchell_odi_9_8 = tt(3.75, 6.88, 9, 6.29, 6.47, 8, 2),
  tt_mitchell_odi_8_7 = tt(3.75, 6.88, 8, 6.29, 6.47, 7, 2),
  tt_mitchell_age_9_8 = tt(48, 4, 9, 50, 4, 8, 0),
  # largest SD on a bounded scale (Bhatia-Davis with n / (n - 1))
  max_sd_odi_375_8 = "sqrt(8 / 7 * (3.75 - 0) * (100 - 3.75))"
)

fmt <- function(x) {
  s <- format(x, digits = 15)
  if (!identical(as.numeric(s), x)) s <- sprintf("%.17g", x)
  s
}
out <- list()
for (id in names(cases)) {
  r_call <- cases[[id]]
  val <- eval(parse(text = r_call), envir = new.env())
  if (is.logical(val)) { nm <- names(val); val <- as.numeric(val); names(val) <- nm }
  entry <- list(r_call = r_call, r_version = R.version.string,
                package_versions = list(statcheck = as.character(packageVersion("statcheck"))))
  if (length(val) == 1 && is.null(names(val))) {
    entry$value <- as.numeric(fmt(unname(val)))
  } else if (is.null(names(val))) {
    entry$values <- as.numeric(sapply(val, fmt))
  } else {
    entry$values <- lapply(as.list(val), function(v) as.numeric(fmt(unname(v))))
  }
  cat(id, ": ", paste(names(val), format(val, digits = 6), collapse = " "), "\n", sep = "")
  out[[id]] <- entry
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(script_dir, "r_reference_consistency.json"))
