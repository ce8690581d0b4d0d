# check-spc.R: an independent check of tables/spc.csv. It recomputes every charted series
# of a run's tables/trends.csv with an XmR implementation written here in R from
# NHSRplotthedots' documented method (ptd_spc with its defaults: screen_outliers = TRUE,
# limits mean ± 2.66 × mean moving range, near-limit band at 2/3, rules outside / 7-point
# shift / 7-point trend / 2 of 3 near a limit on one side) and compares it with spc.csv.
#
#   Rscript scripts/check-spc.R OUT_DIR [PIPELINE_DIRECTIONS]
#   Rscript scripts/check-spc.R --write TRENDS_CSV FIXTURE_CSV
#
# PIPELINE_DIRECTIONS: measure=direction pairs, comma-separated (default: all neutral).
# --write: the charts of a trends.csv's series (neutral) as a fixture for the Swift tests
# (Tests/SPRXAggregateTests/Fixtures/spc_r_sample.csv, from SampleData/expected/referral-equity).
# Exits 1 naming the first rows that differ. Needs only base R (apt-get install r-base-core).

# A series is charted with 12 values or more whose gaps leave 11 moving ranges or more
# (pairs of consecutive months both with a value), and no month withheld by disclosure
# control (`suppressed` TRUE: its count is small, so the months left are a biased
# selection; outputs-v2.md, spc.csv).
chartable <- function(y, suppressed = rep("FALSE", length(y))) {
  sum(!is.na(y)) >= 12 && sum(!is.na(y[-1]) & !is.na(y[-length(y)])) >= 11 && !any(suppressed == "TRUE")
}

xmr <- function(y, improvement = 0) {
  n <- length(y)
  centre <- mean(y, na.rm = TRUE)
  mr <- abs(diff(y))
  keep <- !is.na(mr) & mr < 3.267 * mean(mr, na.rm = TRUE)
  amr <- if (any(keep)) mean(mr[keep]) else NaN
  lpl <- centre - 2.66 * amr
  upl <- centre + 2.66 * amr
  band <- 2 * (2.66 / 3) * amr
  known <- !is.na(y) & !is.nan(amr)
  outside <- known & (y > upl | y < lpl)
  near <- known & !outside & (y < centre - band | y > centre + band)
  side <- sign(y - centre)
  # windows of w points ending at e: fire when the predicate holds on complete windows
  ends <- function(w, pred) {
    vapply(seq_len(n), function(e) e >= w && pred((e - w + 1):e), logical(1))
  }
  part <- function(fired, w) vapply(seq_len(n), function(i) any(fired[i:min(n, i + w - 1)]), logical(1))
  shift_end <- ends(7, function(ix) {
    s <- side[ix]
    !anyNA(s) && s[1] != 0 && all(s == s[1])
  })
  steps <- c(NA, sign(diff(y)))
  trend_end <- ends(7, function(ix) {
    d <- steps[ix[-1]]
    !anyNA(d) && (all(d == 1) || all(d == -1))
  })
  three_end <- ends(3, function(ix) {
    all(known[ix]) && sum(near[ix]) >= 2 && abs(sum(side[ix])) == 3
  })
  in_shift <- part(shift_end, 7)
  in_trend <- part(trend_end, 7)
  in_three <- near & part(three_end, 3)
  direction <- vapply(seq_len(n), function(i) {
    if (is.na(y[i])) return(0)
    above <- if (side[i] > 0) 1 else -1
    if (outside[i]) return(above)
    if (in_trend[i]) {
      right <- i < n && in_trend[i + 1]
      d <- if (right) sign(y[i + 1] - y[i]) else sign(y[i] - y[i - 1])
      return(if (d == 1) 1 else -1)
    }
    if (in_three[i] || in_shift[i]) return(above)
    0
  }, numeric(1))
  rules <- vapply(seq_len(n), function(i) {
    paste(c("outside", "shift", "trend", "two_of_three")[c(outside[i], in_shift[i], in_trend[i], in_three[i])], collapse = ";")
  }, character(1))
  v <- direction * improvement
  type <- ifelse(direction == 0, "common_cause",
    ifelse(improvement == 0, "special_cause_neutral", ifelse(v > 0, "special_cause_improvement", "special_cause_concern")))
  data.frame(centre = centre, lower = if (is.nan(amr)) NA else lpl, upper = if (is.nan(amr)) NA else upl,
    special = ifelse(is.na(y), NA, rules != ""), point_type = ifelse(is.na(y), NA, type), rules = ifelse(is.na(y), NA, rules))
}

main <- function(args) {
  out <- args[[1]]
  directions <- c()
  if (length(args) >= 2 && nzchar(args[[2]])) {
    for (pair in strsplit(args[[2]], ",")[[1]]) {
      kv <- strsplit(pair, "=")[[1]]
      directions[kv[1]] <- c(increase = 1, decrease = -1, neutral = 0)[[kv[2]]]
    }
  }
  read <- function(f) read.csv(file.path(out, "tables", f), colClasses = "character", na.strings = character(), check.names = FALSE)
  trends <- read("trends.csv")
  spc <- read("spc.csv")
  trends <- trends[trends$interval == "month" & trends$dimension %in% c("all", "nation"), ]
  withheld <- unique(trends$measure[grepl("^(not_recorded|recorded_in_part):", trends$note)])
  trends <- trends[!(trends$measure %in% withheld), ]
  key <- function(d) paste(d$measure, d$dimension, d$group, d$interval_start, sep = "|")
  if (!setequal(key(trends), key(spc)) || nrow(trends) != nrow(spc)) stop("spc.csv rows are not the monthly all/nation rows of trends.csv")
  rownames(spc) <- key(spc)
  problems <- character()
  near <- function(a, b) (is.na(a) && is.na(b)) || (!is.na(a) && !is.na(b) && abs(a - b) <= 5e-6 * max(1, abs(b)))
  series <- split(trends, paste(trends$measure, trends$dimension, trends$group, sep = "|"))
  charted <- 0
  for (s in series) {
    s <- s[order(s$interval_start), ]
    full <- s$partial != "TRUE"
    y <- suppressWarnings(as.numeric(s$value))
    got <- spc[key(s), ]
    if (any(got$value != s$value)) problems <- c(problems, paste("value differs from trends.csv in", key(s)[1]))
    if (!chartable(y[full], s$suppressed[full])) {
      if (any(got$centre != "" | got$special_cause != "")) problems <- c(problems, paste("short, gappy or withheld series charted:", key(s)[1]))
      # Long enough and unbroken but for a withheld month: its rows with a value say so.
      if (chartable(y[full]) && any(got$note[full & !is.na(y)] != "months_withheld")) {
        problems <- c(problems, paste("series with a month withheld not noted months_withheld:", key(s)[1]))
      }
      next
    }
    charted <- charted + 1
    improvement <- if (s$measure[1] %in% names(directions)) directions[[s$measure[1]]] else 0
    want <- xmr(y[full], improvement)
    g <- got[full, ]
    for (i in seq_len(nrow(want))) {
      k <- rownames(g)[i]
      num <- function(x) if (x == "") NA else as.numeric(x)
      if (!near(num(g$centre[i]), want$centre[i]) || !near(num(g$lower_limit[i]), want$lower[i]) || !near(num(g$upper_limit[i]), want$upper[i])) {
        problems <- c(problems, sprintf("%s: centre/limits %s %s %s, R %.6g %.6g %.6g", k, g$centre[i], g$lower_limit[i], g$upper_limit[i],
          want$centre[i], want$lower[i], want$upper[i]))
      }
      expect <- if (is.na(want$point_type[i])) c("", "", "") else c(if (want$special[i]) "TRUE" else "FALSE", want$point_type[i], want$rules[i])
      actual <- c(g$special_cause[i], g$point_type[i], g$rules[i])
      if (!identical(expect, actual)) problems <- c(problems, sprintf("%s: %s, R says %s", k, paste(actual, collapse = " "), paste(expect, collapse = " ")))
    }
  }
  if (length(problems) > 0) {
    cat("check-spc: spc.csv differs from the R implementation:\n", paste(head(problems, 20), collapse = "\n"), "\n", sep = "")
    quit(status = 1)
  }
  cat(sprintf("check-spc: %d rows, %d charted series agree with the R implementation\n", nrow(spc), charted))
}

write_fixture <- function(trends_csv, fixture) {
  trends <- read.csv(trends_csv, colClasses = "character", na.strings = character(), check.names = FALSE)
  trends <- trends[trends$interval == "month" & trends$dimension %in% c("all", "nation") & trends$partial != "TRUE", ]
  withheld <- unique(trends$measure[grepl("^(not_recorded|recorded_in_part):", trends$note)])
  trends <- trends[!(trends$measure %in% withheld), ]
  out <- list()
  for (s in split(trends, paste(trends$measure, trends$dimension, trends$group, sep = "|"))) {
    s <- s[order(s$interval_start), ]
    y <- suppressWarnings(as.numeric(s$value))
    if (!chartable(y, s$suppressed)) next
    w <- xmr(y, 0)
    out[[length(out) + 1]] <- data.frame(measure = s$measure, dimension = s$dimension, group = s$group, interval_start = s$interval_start,
      centre = sprintf("%.17g", w$centre), lower_limit = ifelse(is.na(w$lower), "", sprintf("%.17g", w$lower)),
      upper_limit = ifelse(is.na(w$upper), "", sprintf("%.17g", w$upper)),
      special_cause = ifelse(is.na(w$special), "", ifelse(w$special, "TRUE", "FALSE")),
      point_type = ifelse(is.na(w$point_type), "", w$point_type), rules = ifelse(is.na(w$rules), "", w$rules))
  }
  writeLines(c(
    "# scripts/check-spc.R's own R implementation of NHSRplotthedots' method (not the package's code),",
    "# run with --write on SampleData/expected/referral-equity/tables/trends.csv: every charted series, neutral."
  ), fixture)
  suppressWarnings(write.table(do.call(rbind, out), fixture, row.names = FALSE, quote = FALSE, sep = ",", append = TRUE))
  cat("check-spc: wrote", fixture, "\n")
}

if (!interactive() && sys.nframe() == 0L) {
  args <- commandArgs(TRUE)
  if (length(args) == 3 && args[[1]] == "--write") write_fixture(args[[2]], args[[3]]) else main(args)
}
