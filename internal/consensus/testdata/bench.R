# Times R computing the figures of `delphi consensus` on a ratings CSV (BENCHMARKS.md):
#
#   DELPHI_BENCH_CSV=/tmp/bench.csv go test -run TestWriteBenchCSV ./internal/consensus/
#   time Rscript internal/consensus/testdata/bench.R /tmp/bench.csv /tmp/bench_r.tsv
#
# It runs analyze_file() of reference.R (base R: read.csv, quantile, median, mean, sd,
# prop.test, wilcox.test, and Kendall's W written in R), the code whose values the Go tests
# check delphi against, on the whole file, and writes every figure to OUT.tsv. SciPy's pratt
# variant is not part of it (R has no pratt zero handling).
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) stop("usage: Rscript bench.R RATINGS.csv OUT.tsv [SCALE_MAX]")
self <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
source(file.path(dirname(self), "reference.R"))
max <- if (length(args) >= 3) as.integer(args[3]) else 9L
out <- file(args[2], "w")
cur_case <- basename(args[1])
t <- system.time(analyze_file(args[1], max))
close(out)
message(sprintf("R %s.%s: %.2f s elapsed (user %.2f, system %.2f)", R.version$major, R.version$minor,
                t[["elapsed"]], t[["user.self"]], t[["sys.self"]]))
