# Regenerates the R reference values used by faultline-stats' tests.
#   Rscript reference/generate.R
# Values in tests/reference.rs were made with R 4.2.2 (Debian r-base-core).
# Note: fisher.test finds the odds-ratio MLE and interval with uniroot's
# default tolerance (about 1e-4), so its intervals are compared loosely;
# the tight comparisons use mpmath (generate.py).
options(digits = 17)
tables <- list(c(5, 0, 3, 28), c(3, 2, 10, 85), c(0, 5, 10, 20), c(3, 1, 1, 3),
               c(1, 0, 3, 28), c(40, 60, 1000, 98900), c(2, 7, 8, 2))
for (t in tables) {
  m <- matrix(t, 2, byrow = TRUE)
  g <- fisher.test(m, alternative = "greater")
  l <- fisher.test(m, alternative = "less")
  two <- fisher.test(m)
  cat(sprintf("fisher(%s): greater=%.17g less=%.17g two_sided=%.17g est=%.17g low=%.17g high=%.17g\n",
              paste(t, collapse = ","), g$p.value, l$p.value, two$p.value,
              two$estimate, two$conf.int[1], two$conf.int[2]))
}
rates <- list(c(5, 1000, 2, 3000), c(10, 100, 0, 50), c(0, 200, 7, 300), c(1, 1, 1, 1),
              c(40, 1e5, 12, 2.5e5), c(3, 2, 3, 2), c(1, 5, 0, 5))
for (r in rates) {
  two <- poisson.test(c(r[1], r[3]), c(r[2], r[4]))
  g <- poisson.test(c(r[1], r[3]), c(r[2], r[4]), alternative = "greater")
  cat(sprintf("poisson.test(%s): ratio=%.17g low=%.17g high=%.17g p_greater=%.17g p_two=%.17g\n",
              paste(r, collapse = ","), two$estimate, two$conf.int[1], two$conf.int[2],
              g$p.value, two$p.value))
}
for (p in list(c(0.01, 0.04, 0.03, 0.005, 0.5, 1.0), c(0.02, 0.02, 0.02, 0.5), c(1, 1, 0))) {
  cat(sprintf("p.adjust BH(%s): %s\n", paste(p, collapse = ","),
              paste(sprintf("%.17g", p.adjust(p, "BH")), collapse = ", ")))
}
cat(sprintf("pbinom upper: %.17g %.17g\n", pbinom(899, 1000, 0.5, lower.tail = FALSE),
            ppois(199, 50, lower.tail = FALSE)))
