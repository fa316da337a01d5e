# Reference values for internal/consensus, computed independently in R from the definitions
# (/work/shared/consensus-definitions.md) with R's own quantile(), median(), mean(), sd(),
# prop.test() and wilcox.test(); Kendall's W is written out as irr::kendall computes it.
#
#   Rscript internal/consensus/testdata/reference.R internal/consensus/testdata/ref
#
# reads ref/cases.tsv (file, scale_max) and the CSVs it names, and writes ref/reference_r.tsv:
# one line per value, "case <TAB> path <TAB> value", where path is the JSON path of the value
# in the output of `delphi consensus` (e.g. rounds.1.items.I01.median) and value is a number
# printed with 17 significant digits, true/false, null, or a "quoted string". reference_test.go compares
# every line with delphi's JSON (relative 1e-9, absolute 1e-12 near zero). The tests never call R.
#
# bench.R sources this file and runs analyze_file() on the 10,000 x 300 benchmark CSV, so the
# timing compares delphi with R computing the very figures checked here.

out <- NULL     # the connection emit() writes to

fmt <- function(v) {
  if (is.null(v) || length(v) == 0 || (length(v) == 1 && is.na(v))) return("null")
  if (is.logical(v)) return(if (v) "true" else "false")
  if (is.character(v)) return(paste0("\"", v, "\""))
  sprintf("%.17g", v)
}
cur_case <- ""
emit <- function(path, v) writeLines(paste(cur_case, path, fmt(v), sep = "\t"), out)

# COMET on integer counts, default thresholds 70/15.
comet <- function(nl, nh, n) {
  if (100 * nh >= 70 * n && 100 * nl < 15 * n) return("consensus_in")
  if (100 * nl >= 70 * n && 100 * nh < 15 * n) return("consensus_out")
  "no_consensus"
}

band_counts <- function(x, max) {
  k <- (max + 1) %/% 3
  c(low = sum(x <= k), mid = sum(x > k & x <= max - k), high = sum(x > max - k))
}

wilson <- function(x, n) 100 * prop.test(x, n, correct = FALSE)$conf.int[1:2]

# Statistics of one item (or group) given its answers: numeric ratings x, n_unable, n_submitted.
item_stats <- function(prefix, x, n_unable, n_sub, max, group = FALSE) {
  n <- length(x)
  b <- band_counts(x, max)
  if (group) emit(paste0(prefix, "n_submitted"), n_sub)
  emit(paste0(prefix, "n_rated"), n)
  emit(paste0(prefix, "n_unable"), n_unable)
  emit(paste0(prefix, "n_missing"), n_sub - n - n_unable)
  emit(paste0(prefix, "n_low"), b[["low"]])
  emit(paste0(prefix, "n_mid"), b[["mid"]])
  emit(paste0(prefix, "n_high"), b[["high"]])
  hist <- tabulate(x, nbins = max)
  for (v in 1:max) emit(paste0(prefix, "hist.", v - 1), hist[v])
  if (n == 0) {
    for (k in c("median", "pct_low", "pct_mid", "pct_high")) emit(paste0(prefix, k), NULL)
    if (group) return(invisible())
    for (k in c("quantile_type7", "quantile_type6", "mean", "sd_sample", "pct_low_wilson95",
                "pct_high_wilson95", "comet", "fragile", "rand")) emit(paste0(prefix, k), NULL)
    return(invisible())
  }
  emit(paste0(prefix, "median"), median(x))
  emit(paste0(prefix, "pct_low"), 100 * b[["low"]] / n)
  emit(paste0(prefix, "pct_mid"), 100 * b[["mid"]] / n)
  emit(paste0(prefix, "pct_high"), 100 * b[["high"]] / n)
  if (group) return(invisible())
  for (type in c(7, 6)) {
    q <- quantile(x, c(0.25, 0.75), type = type, names = FALSE)
    p <- paste0(prefix, "quantile_type", type, ".")
    emit(paste0(p, "q1"), q[1]); emit(paste0(p, "q3"), q[2]); emit(paste0(p, "iqr"), q[2] - q[1])
  }
  emit(paste0(prefix, "mean"), mean(x))
  emit(paste0(prefix, "sd_sample"), if (n >= 2) sd(x) else NULL)
  wl <- suppressWarnings(wilson(b[["low"]], n))
  wh <- suppressWarnings(wilson(b[["high"]], n))
  emit(paste0(prefix, "pct_low_wilson95.lo"), wl[1]); emit(paste0(prefix, "pct_low_wilson95.hi"), wl[2])
  emit(paste0(prefix, "pct_high_wilson95.lo"), wh[1]); emit(paste0(prefix, "pct_high_wilson95.hi"), wh[2])
  cl <- comet(b[["low"]], b[["high"]], n)
  emit(paste0(prefix, "comet"), cl)
  hl <- wh[1]; hh <- wh[2]; ll <- wl[1]; lh <- wl[2]
  fragile <- switch(cl,
    consensus_in = hl < 70 || lh >= 15,
    consensus_out = ll < 70 || hh >= 15,
    no_consensus = (hh >= 70 && ll < 15) || (lh >= 70 && hl < 15))
  emit(paste0(prefix, "fragile"), fragile)
  if (max != 9) {
    emit(paste0(prefix, "rand"), NULL)
    return(invisible())
  }
  p30 <- quantile(x, 0.30, type = 7, names = FALSE)
  p70 <- quantile(x, 0.70, type = 7, names = FALSE)
  ipr <- p70 - p30
  iprcp <- (p30 + p70) / 2
  ai <- abs(5 - iprcp)
  ipras <- 2.35 + 1.5 * ai
  # Exact comparison: both are multiples of 1/40, so compare 40x rounded to integers.
  disagreement <- round(40 * ipr) > round(40 * ipras)
  med <- median(x)
  mc <- if (med <= 3.5) "inappropriate" else if (med <= 6.5) "uncertain" else "appropriate"
  p <- paste0(prefix, "rand.")
  emit(paste0(p, "p30_type7"), p30); emit(paste0(p, "p70_type7"), p70)
  emit(paste0(p, "ipr"), ipr); emit(paste0(p, "iprcp"), iprcp)
  emit(paste0(p, "ai"), ai); emit(paste0(p, "ipras"), ipras)
  emit(paste0(p, "disagreement"), disagreement)
  emit(paste0(p, "median_category"), mc)
  emit(paste0(p, "final_category"), if (disagreement) "uncertain" else mc)
}

# Kendall's W as irr::kendall computes it, on the complete panelists (rows of m).
kendall <- function(prefix, m, n_items) {
  emit(paste0(prefix, "n_complete_panelists"), nrow(m))
  emit(paste0(prefix, "n_items"), n_items)
  status <- if (n_items < 2) "insufficient_items" else if (nrow(m) < 2) "insufficient_complete_panelists" else "ok"
  emit(paste0(prefix, "status"), status)
  if (status != "ok") {
    emit(paste0(prefix, "uncorrected"), NULL); emit(paste0(prefix, "corrected"), NULL)
    return(invisible())
  }
  nr <- nrow(m); ns <- ncol(m)
  ranks <- t(apply(m, 1, rank))            # mid-ranks within each panelist
  R <- colSums(ranks)
  S <- sum((R - mean(R))^2)
  Tj <- 0
  for (i in 1:nr) { tt <- table(ranks[i, ]); tt <- tt[tt > 1]; Tj <- Tj + sum(tt^3 - tt) }
  out_w <- function(key, denom) {
    if (denom == 0) { emit(paste0(prefix, key), NULL); return(invisible()) }
    W <- 12 * S / denom
    chisq <- nr * (ns - 1) * W
    emit(paste0(prefix, key, ".W"), W)
    emit(paste0(prefix, key, ".chisq"), chisq)
    emit(paste0(prefix, key, ".df"), ns - 1)
    emit(paste0(prefix, key, ".p_value"), pchisq(chisq, ns - 1, lower.tail = FALSE))
  }
  out_w("uncorrected", nr^2 * (ns^3 - ns))
  out_w("corrected", nr^2 * (ns^3 - ns) - nr * Tj)
}

iqr <- function(x, type) diff(quantile(x, c(0.25, 0.75), type = type, names = FALSE))
pct_high <- function(x, max) 100 * band_counts(x, max)[["high"]] / length(x)
class_of <- function(x, max) {
  if (length(x) == 0) return(NULL)
  b <- band_counts(x, max); comet(b[["low"]], b[["high"]], length(x))
}
change <- function(prefix, xf, xt, max) {
  both <- length(xf) > 0 && length(xt) > 0
  emit(paste0(prefix, "delta_iqr_type7"), if (both) iqr(xt, 7) - iqr(xf, 7) else NULL)
  emit(paste0(prefix, "delta_iqr_type6"), if (both) iqr(xt, 6) - iqr(xf, 6) else NULL)
  emit(paste0(prefix, "delta_pct_high"), if (both) pct_high(xt, max) - pct_high(xf, max) else NULL)
  emit(paste0(prefix, "comet_from"), class_of(xf, max))
  emit(paste0(prefix, "comet_to"), class_of(xt, max))
}

# analyze_file emits every figure of the ratings CSV at path on the scale 1..max.
analyze_file <- function(path, max) {
  d <- read.csv(path, colClasses = "character", na.strings = character(0))
  d$round <- as.integer(d$round)
  d$rating[d$rating == "U"] <- "0"
  d$value <- suppressWarnings(as.integer(d$rating))      # NA = blank, 0 = unable
  panel <- unique(d[, c("panelist", "group")])
  items <- unique(d$item)
  groups <- unique(panel$group)
  rounds <- sort(unique(d$round))
  emit("panel.n_panelists", nrow(panel))
  emit("panel.n_items", length(items))
  for (g in groups) emit(paste0("panel.groups.", g), sum(panel$group == g))
  by_round <- split(d, d$round)
  # rated[[round]][[item]]: the ratings 1..max of the item, named by panelist.
  rated <- list()
  for (r in rounds) {
    dr <- by_round[[as.character(r)]]
    ok <- dr[!is.na(dr$value) & dr$value >= 1, ]
    rated[[as.character(r)]] <- lapply(split(ok, factor(ok$item, levels = items)),
                                       function(s) setNames(s$value, s$panelist))
  }
  for (r in rounds) {
    dr <- by_round[[as.character(r)]]
    subs <- unique(dr$panelist)
    sub_group <- panel$group[match(subs, panel$panelist)]
    pre <- paste0("rounds.", r, ".")
    emit(paste0(pre, "n_submitted"), length(subs))
    for (g in groups) emit(paste0(pre, "groups_submitted.", g), sum(sub_group == g))
    by_item <- split(dr, factor(dr$item, levels = items))
    for (it in items) {
      di <- by_item[[it]]
      x <- di$value[!is.na(di$value) & di$value >= 1]
      nu <- sum(!is.na(di$value) & di$value == 0)
      ip <- paste0(pre, "items.", it, ".")
      item_stats(ip, x, nu, length(subs), max)
      by_group <- split(di, factor(di$group, levels = groups))
      for (g in groups) {
        dg <- by_group[[g]]
        xg <- dg$value[!is.na(dg$value) & dg$value >= 1]
        item_stats(paste0(ip, "groups.", g, "."), xg, sum(!is.na(dg$value) & dg$value == 0),
                   sum(sub_group == g), max, group = TRUE)
      }
    }
    # Kendall: submitters who rated every item of the file this round.
    m <- matrix(NA_real_, nrow = length(subs), ncol = length(items), dimnames = list(subs, items))
    ok <- dr[!is.na(dr$value) & dr$value >= 1, ]
    m[cbind(match(ok$panelist, subs), match(ok$item, items))] <- ok$value
    m <- m[stats::complete.cases(m), , drop = FALSE]
    kendall(paste0(pre, "kendall."), m, length(items))
  }
  if (length(rounds) >= 2) {
    for (k in 2:length(rounds)) {
      from <- rounds[k - 1]; to <- rounds[k]
      sp <- if (length(rounds) == 2) "stability." else paste0("stability.", k - 2, ".")
      emit(paste0(sp, "from_round"), as.character(from))
      emit(paste0(sp, "to_round"), as.character(to))
      for (it in items) {
        ip <- paste0(sp, "items.", it, ".")
        xf <- rated[[as.character(from)]][[it]]; xt <- rated[[as.character(to)]][[it]]
        change(ip, unname(xf), unname(xt), max)
        pp <- intersect(names(xf), names(xt))
        a <- unname(xf[pp]); b <- unname(xt[pp])
        dd <- a - b
        emit(paste0(ip, "n_pairs"), length(pp))
        emit(paste0(ip, "n_changed"), sum(dd != 0))
        emit(paste0(ip, "pct_changed"), if (length(pp) > 0) 100 * sum(dd != 0) / length(pp) else NULL)
        change(paste0(ip, "paired."), a, b, max)
        nz <- abs(dd[dd != 0])
        emit(paste0(ip, "ties_in_abs_diff"), any(duplicated(nz)))
        wp <- paste0(ip, "wilcoxon.wilcox.approx.")
        err <- if (length(pp) == 0) "no_pairs" else if (all(dd == 0)) "all_differences_zero" else NULL
        if (!is.null(err)) {
          for (f in c("statistic", "p_value", "z", "r_plus")) emit(paste0(wp, f), NULL)
          emit(paste0(wp, "error"), err)
        } else {
          wt <- wilcox.test(a, b, paired = TRUE, exact = FALSE, correct = FALSE)
          V <- unname(wt$statistic); n <- length(nz)
          # z as wilcox.test computes it internally (it reports only V and the p-value).
          nt <- table(rank(nz))
          stat <- min(V, n * (n + 1) / 2 - V)
          # z of the two-sided statistic min(R+, R-), as SciPy reports it (never positive)
          z <- (stat - n * (n + 1) / 4) / sqrt(n * (n + 1) * (2 * n + 1) / 24 - sum(nt^3 - nt) / 48)
          emit(paste0(wp, "statistic"), stat)
          emit(paste0(wp, "p_value"), wt$p.value)
          emit(paste0(wp, "z"), z)
          emit(paste0(wp, "r_plus"), V)
          emit(paste0(wp, "error"), NULL)
        }
      }
    }
  }
}

if (sys.nframe() == 0) {   # run as a script, not sourced by bench.R
  args <- commandArgs(trailingOnly = TRUE)
  dir <- if (length(args) > 0) args[1] else "ref"
  cases <- read.delim(file.path(dir, "cases.tsv"), colClasses = "character")
  out <- file(file.path(dir, "reference_r.tsv"), "w")
  writeLines(paste0("# R ", R.version$major, ".", R.version$minor, "; written by reference.R"), out)
  for (ci in seq_len(nrow(cases))) {
    cur_case <- cases$file[ci]
    analyze_file(file.path(dir, cur_case), as.integer(cases$scale_max[ci]))
  }
  close(out)
}
