# Reproduce a delphi round report in R from its two CSV exports, with base R only.
#
#   Rscript reproduce.R RESULTS.csv ANSWERS.csv
#
# RESULTS.csv is report.csv of round N (tidy: one row per item x group, group "all" = panel);
# ANSWERS.csv is answers.csv (pseudonymous raw answers of rounds 1..N: panelist, group, item,
# round, rating, unable, placement; rating NA = unable or left blank). Both read with read.csv
# and no options. The script recomputes, for every item and group of round N, the counts, the
# band percentages, the median and the type-7 quartiles (R's default), the Wilson interval of
# the top band, and, for round N > 1, the Wilcoxon signed-rank test against round N-1 (zeros
# dropped, normal approximation, no continuity correction), and stops unless every value
# agrees to 1e-9. Without arguments it checks the golden files beside it.
#
# Bands are read from the scale 1-9 (1-3, 4-6, 7-9); change `bands` for other scales.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) args <- c("golden/round2.csv", "golden/answers.csv")
res <- read.csv(args[1])
ans <- read.csv(args[2])
bands <- list(low = 1:3, mid = 4:6, high = 7:9)
round_n <- unique(res$round)
stopifnot(length(round_n) == 1)

near <- function(a, b) (is.na(a) && is.na(b)) || (!is.na(a) && !is.na(b) && abs(a - b) <= 1e-9 * max(1, abs(b)))
bad <- 0
check <- function(what, got, want) {
  if (!near(got, want)) {
    cat(sprintf("MISMATCH %s: R %.15g, delphi %.15g\n", what, got, want))
    bad <<- bad + 1
  }
}

cur <- ans[ans$round == round_n, ]
for (i in seq_len(nrow(res))) {
  r <- res[i, ]
  a <- cur[cur$item == r$item & (r$group == "all" | cur$group == r$group), ]
  x <- a$rating[!is.na(a$rating)]
  n <- length(x)
  key <- paste(r$item, r$group)
  check(paste(key, "n_submitted"), nrow(a), r$n_submitted)
  check(paste(key, "n_rated"), n, r$n_rated)
  check(paste(key, "n_unable"), sum(a$unable), r$n_unable)
  check(paste(key, "n_missing"), sum(is.na(a$rating) & !a$unable), r$n_missing)
  if (n == 0) next
  for (b in names(bands)) {
    check(paste(key, "pct", b), 100 * sum(x %in% bands[[b]]) / n, r[[paste0("pct_", b)]])
  }
  check(paste(key, "median"), median(x), r$median)
  if (r$group == "all") {
    q <- quantile(x, c(.25, .75), type = 7, names = FALSE)
    check(paste(key, "q1"), q[1], r$q1)
    check(paste(key, "q3"), q[2], r$q3)
    check(paste(key, "iqr"), q[2] - q[1], r$iqr)
    check(paste(key, "mean"), mean(x), r$mean)
    if (n > 1) check(paste(key, "sd"), sd(x), r$sd)
    ci <- 100 * prop.test(sum(x >= 7), n, correct = FALSE)$conf.int
    check(paste(key, "wilson_high_lo"), ci[1], r$wilson_high_lo)
    check(paste(key, "wilson_high_hi"), ci[2], r$wilson_high_hi)
    if (round_n > 1 && !is.na(r$n_pairs)) {
      prev <- ans[ans$round == round_n - 1 & ans$item == r$item & !is.na(ans$rating), c("panelist", "rating")]
      now <- a[!is.na(a$rating), c("panelist", "rating")]
      p <- merge(prev, now, by = "panelist")
      check(paste(key, "n_pairs"), nrow(p), r$n_pairs)
      d <- p$rating.x - p$rating.y
      if (any(d != 0)) {
        w <- suppressWarnings(wilcox.test(p$rating.x, p$rating.y, paired = TRUE, exact = FALSE, correct = FALSE))
        check(paste(key, "wilcoxon_p"), w$p.value, r$wilcoxon_p)
      }
    }
  }
}
if (bad > 0) stop(sprintf("%d values differ", bad))
cat(sprintf("round %d: %d rows of %s reproduced from %s to 1e-9\n", round_n, nrow(res), args[1], args[2]))
