# Reference values for faultline-stats' survival, rate and soak functions
# (tests/survival.rs). Run from the crate folder:
#   Rscript reference/generate_survival.R > reference/survival_R.out
# Values were made with R 4.2.2 and survival 3.5.3 (Debian r-base-core,
# r-cran-survival). Times are exactly those written in tests/survival.rs.
library(survival)
options(digits = 17)
f <- function(x) paste(sprintf("%.17g", x), collapse = ", ")

# ------------------------------------------------------------ Kaplan-Meier
km_cases <- list(
  # R's own `aml` data, maintained arm: a failure and a censoring tied at 13.
  aml_maintained = list(time = c(9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161),
                        status = c(1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0)),
  aml_nonmaintained = list(time = c(5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45),
                           status = c(1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1)),
  # A lab configuration: hours to crash, runs stopped clean at 4 h; ties.
  lab = list(time = c(0.35, 0.9, 1.2, 1.2, 2.7, 4, 4, 4, 3.1, 0.05, 1.2, 2.7),
             status = c(1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0)),
  # All failed: the curve ends at 0 (R: NA interval there).
  all_failed = list(time = c(3, 1, 2), status = c(1, 1, 1)),
  # Exactly 0.5 on [2, 3): R's median is the midpoint 2.5.
  half = list(time = c(1, 2, 3, 4), status = c(1, 1, 1, 1)),
  one_failure = list(time = c(2, 3, 3), status = c(1, 0, 0)),
  # Censored before the first failure, and at time 0.
  early_censoring = list(time = c(0, 0.5, 1, 1, 2, 5, 6), status = c(0, 0, 1, 1, 0, 1, 0))
)
for (name in names(km_cases)) {
  d <- km_cases[[name]]
  fit <- survfit(Surv(d$time, d$status) ~ 1, conf.type = "log-log")
  s <- summary(fit)  # failure times only
  cat(sprintf("km %s:\n  time = %s\n  n.risk = %s\n  n.event = %s\n", name,
              f(s$time), f(s$n.risk), f(s$n.event)))
  cat(sprintf("  surv = %s\n  std.err = %s\n  lower = %s\n  upper = %s\n",
              f(s$surv), f(s$std.err), f(s$lower), f(s$upper)))
  tab <- summary(fit, rmean = max(d$time))$table
  cat(sprintf("  median = %s LCL = %s UCL = %s rmean(tau=%s) = %s se = %s\n",
              f(tab["median"]), f(tab["0.95LCL"]), f(tab["0.95UCL"]),
              f(max(d$time)), f(tab["rmean"]), f(tab["se(rmean)"])))
  mid <- (min(d$time[d$time > 0]) + max(d$time)) / 2
  tab <- summary(fit, rmean = mid)$table
  cat(sprintf("  rmean(tau=%s) = %s se = %s\n", f(mid), f(tab["rmean"]), f(tab["se(rmean)"])))
}

# ------------------------------------------------------------ log-rank
lr <- function(name, time, status, group) {
  t <- survdiff(Surv(time, status) ~ group)
  cat(sprintf("survdiff %s: chisq = %s df = %d p = %s\n  obs = %s\n  exp = %s\n  var = %s\n",
              name, f(t$chisq), length(t$n) - 1, f(t$pvalue), f(t$obs), f(t$exp),
              f(t$var)))
}
a <- km_cases$aml_maintained; b <- km_cases$aml_nonmaintained
lr("aml", c(a$time, b$time), c(a$status, b$status),
   rep(c("1maint", "2non"), c(length(a$time), length(b$time))))
# Three lab configurations (hours, limit 4 h).
g1 <- list(time = c(0.2, 0.5, 0.5, 1.1, 1.7, 2.0, 3.3, 4, 4), status = c(1, 1, 1, 1, 1, 1, 1, 0, 0))
g2 <- list(time = c(0.9, 1.4, 2.6, 3.0, 4, 4, 4, 4), status = c(1, 1, 1, 1, 0, 0, 0, 0))
g3 <- list(time = c(2.2, 4, 4, 4, 4, 4, 4, 0.5, 3.9), status = c(1, 0, 0, 0, 0, 0, 0, 1, 1))
lr("three", c(g1$time, g2$time, g3$time), c(g1$status, g2$status, g3$status),
   rep(c("g1", "g2", "g3"), c(9, 8, 9)))
# Four groups; the fourth only censored before any failure (expected 0,
# dropped from the statistic, df = 2).
g4 <- list(time = c(0.1, 0.15), status = c(0, 0))
t4 <- survdiff(Surv(c(g1$time, g2$time, g3$time, g4$time),
                    c(g1$status, g2$status, g3$status, g4$status)) ~
                 rep(c("g1", "g2", "g3", "g4"), c(9, 8, 9, 2)))
cat(sprintf("survdiff four (g4 expects 0): chisq = %s p = %s exp = %s\n",
            f(t4$chisq), f(t4$pvalue), f(t4$exp)))

# ------------------------------------------------------------ Poisson rate
for (kt in list(c(0, 10), c(1, 10), c(2, 7.5), c(5, 120), c(10, 1000), c(100, 250),
                c(1000, 3e4))) {
  p <- poisson.test(kt[1], kt[2])
  cat(sprintf("poisson.test(%g, %g): rate = %s low = %s high = %s\n", kt[1], kt[2],
              f(p$estimate), f(p$conf.int[1]), f(p$conf.int[2])))
  cat(sprintf("  one-sided 95%% upper: qchisq(0.95, 2k+2)/2/T = %s\n",
              f(qchisq(0.95, 2 * kt[1] + 2) / 2 / kt[2])))
}

# ------------------------------------------------------------ chi-square
for (dp in list(c(1, 0.95), c(2, 0.975), c(4, 0.025), c(2002, 0.975), c(2002, 1e-10),
                c(1, 1e-10), c(200, 0.5))) {
  cat(sprintf("qchisq(%s, %g) = %s\n", f(dp[2]), dp[1], f(qchisq(dp[2], dp[1]))))
}
cat(sprintf("qchisq(1e-10, 3, lower.tail = FALSE) = %s\n", f(qchisq(1e-10, 3, lower.tail = FALSE))))
cat(sprintf("pchisq(150, 3, lower.tail = FALSE) = %s\n", f(pchisq(150, 3, lower.tail = FALSE))))
cat(sprintf("qnorm(0.975) = %s\n", f(qnorm(0.975))))
