# Reference values for tests/test_aerobic.py (runspine.stats.meta and runspine.studies.aerobic).
# Run: Rscript tests/reference/make_reference_aerobic.R  (writes r_reference_aerobic.json
# next to this file). Same format as make_reference.R: each case's r_call is evaluated
# verbatim with eval(parse(text = r_call)) in a fresh environment.
suppressMessages({library(metafor); library(jsonlite)})
here <- tryCatch(dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(FALSE),
                 value = TRUE)))), error = function(e) ".")
cases <- list(
  leave1out_bcg_DL = 'dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
l1 <- leave1out(rma(yi, vi, data = dat, method = "DL"))
list(estimate = as.numeric(l1$estimate), ci.lb = as.numeric(l1$ci.lb), ci.ub = as.numeric(l1$ci.ub),
     tau2 = as.numeric(l1$tau2), I2 = as.numeric(l1$I2))',
  dz_ncp_ci_t851_n10 = 't <- 8.51; n <- 10; df <- n - 1
f <- function(p) uniroot(function(ncp) pt(t, df, ncp) - p, c(-20, 40), tol = 1e-13)$root
c(dz = t / sqrt(n), ci.lb = f(0.975) / sqrt(n), ci.ub = f(0.025) / sqrt(n), p = 2 * pt(-abs(t), df))',
  dz_ncp_ci_t851_n11 = 't <- 8.51; n <- 11; df <- n - 1
f <- function(p) uniroot(function(ncp) pt(t, df, ncp) - p, c(-20, 40), tol = 1e-13)$root
c(dz = t / sqrt(n), ci.lb = f(0.975) / sqrt(n), ci.ub = f(0.025) / sqrt(n), p = 2 * pt(-abs(t), df))',
  p_t_chatzitheodorou_df10 = 'list(p = 2 * pt(-c(8.51, 7.32, 7.09), df = 10))',
  escalc_SMD_mcdonough_arms = 'es <- escalc(measure = "SMD", m1i = -8.2, sd1i = 15.01, n1i = 40, m2i = -1.6, sd2i = 14.98, n2i = 17)
c(yi = as.numeric(es$yi), vi = as.numeric(es$vi))',
  escalc_SMD_di_mcdonough = 'es <- escalc(measure = "SMD", di = c(-0.4, -0.44), n1i = c(40, 40), n2i = c(17, 17))
list(yi = as.numeric(es$yi), vi = as.numeric(es$vi))',
  escalc_SMD_ti_from_p_krein = 'ti <- -qt(c(0.05, 0.01) / 2, df = c(110, 111) + 118 - 2, lower.tail = FALSE)
es <- escalc(measure = "SMD", ti = ti, n1i = c(110, 111), n2i = c(118, 118))
list(yi = as.numeric(es$yi), vi = as.numeric(es$vi))',
  rma_pain_sensitivity_DL = 'es <- rbind(escalc(measure = "SMD", di = -0.4, n1i = 40, n2i = 17),
            escalc(measure = "SMD", ti = -qt(0.025, 226, lower.tail = FALSE), n1i = 110, n2i = 118))
res <- rma(yi, vi, data = es, method = "DL"); pr <- predict(res)
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2,
  I2 = res$I2, QE = res$QE, pi.lb = pr$pi.lb, pi.ub = pr$pi.ub)',
  rma_disability_sensitivity_DL = 'es <- rbind(escalc(measure = "SMD", m1i = -8.2, sd1i = 15.01, n1i = 40, m2i = -1.6, sd2i = 14.98, n2i = 17),
            escalc(measure = "SMD", ti = -qt(0.005, 227, lower.tail = FALSE), n1i = 111, n2i = 118))
res <- rma(yi, vi, data = es, method = "DL"); pr <- predict(res)
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2,
  I2 = res$I2, QE = res$QE, pi.lb = pr$pi.lb, pi.ub = pr$pi.ub)',
  rma_disability_sensitivity_PM_tight = 'es <- rbind(escalc(measure = "SMD", m1i = -8.2, sd1i = 15.01, n1i = 40, m2i = -1.6, sd2i = 14.98, n2i = 17),
            escalc(measure = "SMD", ti = -qt(0.005, 227, lower.tail = FALSE), n1i = 111, n2i = 118))
res <- rma(yi, vi, data = es, method = "PM", control = list(tol = 1e-12, threshold = 1e-12, maxiter = 1000))
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2, I2 = res$I2)',
  escalc_SMD_ti_direct = 'es <- escalc(measure = "SMD", ti = c(2.5, -1.2, 0), n1i = c(20, 15, 30), n2i = c(22, 40, 30))
list(yi = as.numeric(es$yi), vi = as.numeric(es$vi))',
  rma_knha_fixed_tau2_01_bcg = 'dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
res <- rma(yi, vi, data = dat, tau2 = 0.1, test = "knha")
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, t = res$zval, df = res$ddf, pval = res$pval)',
  rma_knha_fixed_tau2_005_level90_bcg = 'dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
res <- rma(yi, vi, data = dat, tau2 = 0.05, test = "knha", level = 90)
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, t = res$zval, df = res$ddf, pval = res$pval)',
  rma_knha_fixed_tau2_0_bcg = 'dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
res <- rma(yi, vi, data = dat, tau2 = 0, test = "knha")
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, t = res$zval, df = res$ddf, pval = res$pval)',
  rma_knha_fixed_tau2_1_bcg = 'dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
res <- rma(yi, vi, data = dat, tau2 = 1, test = "knha")
c(estimate = as.numeric(res$b), se = res$se, ci.lb = res$ci.lb, ci.ub = res$ci.ub, t = res$zval, df = res$ddf, pval = res$pval, s2w = res$s2w)',
  reml_score_bcg_central_difference = 'dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
ll <- function(t) rma(yi, vi, data = dat, tau2 = t, method = "REML")$fit.stats["ll", "REML"]
h <- 1e-5; tau2 <- c(0.05, 0.1, 0.5, 1)
list(tau2 = tau2, score = sapply(tau2, function(t) 2 * (ll(t + h) - ll(t - h)) / (2 * h)))',
  rma_vt_bcg_and_lifetime6 = 'dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
pl <- escalc(measure = "PLO", xi = c(168, 125, 158, 73, 25, 46), ni = c(257, 199, 377, 84, 29, 48))
c(vt_bcg = rma(yi, vi, data = dat)$vt, vt_lifetime6 = rma(yi, vi, data = pl)$vt)',
  wald_p_meng2015 = 'est <- c(0.44, 1.03, 1.35, 0.32, 0.75); lb <- c(0.20, 0.67, 0.34, 0.07, 0.48); ub <- c(0.68, 1.39, 2.37, 0.56, 1.02)
se <- (ub - lb) / (2 * qnorm(0.975))
list(se = se, z = est / se, p = 2 * pnorm(-abs(est / se)))'
)
# Own 0-100 pool (studies/aerobic.py own_effects / own_pool): trial effects in points, in the
# order pain then disability, studies alphabetical (cuestavargas2011, cuestavargas2012,
# krein2013, mcdonough2013). Values from data/aerobic_pool.csv; assumed SD 20, Krein scale 0-10.
own_dat <- 'z <- qnorm(0.975)
ma <- escalc(measure = "MD", m1i = c(-36.1, -3.0, -8.2), sd1i = c(25.1, 4.8, 15.01), n1i = c(23, 23, 40),
             m2i = c(-34.1, -1.6, -1.6), sd2i = c(26.0, 1.5, 14.98), n2i = c(23, 23, 17))
dd <- escalc(measure = "SMD", di = -0.4, n1i = 40, n2i = 17)
md <- c(-2.0, -26.0, -0.5, as.numeric(dd$yi), -1.4, -2.5, -2.0, -6.6)
se <- c(sqrt(ma$vi[1]), (-11.1 + 40.9) / (2 * z), 0.5 / qt(0.025, 226, lower.tail = FALSE), sqrt(dd$vi),
        sqrt(ma$vi[2]), (-0.2 + 5.7) / (2 * z), 2.0 / qt(0.005, 227, lower.tail = FALSE), sqrt(ma$vi[3]))
f <- c(1, 1, 10, 20, 100 / 24, 100 / 24, 100 / 24, 1)
pts <- md * f; pse <- se * f
pain <- 1:4; dis <- 5:8
ctl <- list(threshold = 1e-12)
'
cases$own_trial_points <- paste0(own_dat, 'list(md = md, se = se, points = pts, points_se = pse)')
for (o in c("pain", "dis")) {
  cases[[paste0("own_rma_reml_knha_", o)]] <- paste0(own_dat, 'i <- ', o, '
res <- rma(yi = pts[i], sei = pse[i], method = "REML", test = "knha", control = ctl)
c(estimate = as.numeric(res$b), ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2, I2 = res$I2)')
  cases[[paste0("own_rma_dl_knha_", o)]] <- paste0(own_dat, 'i <- ', o, '
res <- rma(yi = pts[i], sei = pse[i], method = "DL", test = "knha")
c(estimate = as.numeric(res$b), ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2, I2 = res$I2)')
  cases[[paste0("own_leave1out_reml_knha_", o)]] <- paste0(own_dat, 'i <- ', o, '
l1 <- leave1out(rma(yi = pts[i], sei = pse[i], method = "REML", test = "knha", control = ctl))
list(estimate = as.numeric(l1$estimate), ci.lb = as.numeric(l1$ci.lb), ci.ub = as.numeric(l1$ci.ub),
     tau2 = as.numeric(l1$tau2))')
}
# Without the rows whose provenance is "assumed": disability keeps Cuesta-Vargas 2012, Krein, McDonough.
cases$own_rma_reml_knha_dis_no_assumed <- paste0(own_dat, 'i <- 6:8
res <- rma(yi = pts[i], sei = pse[i], method = "REML", test = "knha", control = ctl)
c(estimate = as.numeric(res$b), ci.lb = res$ci.lb, ci.ub = res$ci.ub, tau2 = res$tau2, I2 = res$I2)')
# Cuesta-Vargas 2012 RMQ -2.5 (-5.7 to -0.2): SE from the width and from each arm, Wald CI and P.
cases$cuestavargas_rmq_rebuilt <- 'z <- qnorm(0.975); est <- -2.5
se <- c((-0.2 + 5.7) / (2 * z), (-2.5 + 5.7) / z, (-0.2 + 2.5) / z)
list(se = se, ci.lb = est - z * se, ci.ub = est + z * se, p = 2 * pnorm(-abs(est) / se))'
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
           file.path(here, "r_reference_aerobic.json"))
