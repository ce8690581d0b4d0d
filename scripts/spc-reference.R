# spc-reference.R: runs NHSRplotthedots' own XmR code on the SPC test cases and writes
# the expected values the Swift tests read (Tests/SPRXAggregateTests/Fixtures/spc_reference.csv).
# The package's R files are read from a checkout of nhs-r-community/NHSRplotthedots (commit
# 050b07d7eacc011767532732f69b8fd7d6a28fd3), never copied here.
#
#   Rscript scripts/spc-reference.R NHSRPLOTTHEDOTS_R_DIR TRENDS_CSV OUT_CSV
#
# Needs R with dplyr and stringr (Debian: r-base-core r-cran-dplyr r-cran-stringr). dplyr
# before 1.1 has no `.default` in case_when: it is given as the `TRUE ~` clause it stands for.
suppressMessages(library(dplyr))
args <- commandArgs(TRUE)
case_when <- function(..., .default = NULL) {
  if (is.null(.default)) dplyr::case_when(...) else dplyr::case_when(..., TRUE ~ .default)
}
`%||%` <- function(a, b) if (is.null(a)) b else a
for (f in c("ptd_spc_standard.R", "ptd_calculate_point_type.R")) {
  code <- gsub("dplyr::case_when(", "case_when(", readLines(file.path(args[[1]], f)), fixed = TRUE)
  eval(parse(text = code))
}
ref <- function(y, direction, screen = TRUE) {
  d <- data.frame(y = as.double(y), x = as.Date("2020-01-01") + seq_along(y), rebase = 0)
  s <- ptd_spc_standard(d, list(value_field = "y", date_field = "x", screen_outliers = screen))
  ptd_calculate_point_type(s, direction)
}
cases <- list()
add <- function(name, y, direction = 1, screen = TRUE) cases[[length(cases) + 1]] <<- list(name = name, y = y, direction = direction, screen = screen)

# tests/testthat/test-ptd_spc_standard.R: set.seed(123); rnorm(20), then y[15] <- 10, screened and not.
set.seed(123)
y <- rnorm(20)
add("rnorm20", y)
y15 <- y
y15[15] <- 10
add("rnorm20_y15_10", y15)
add("rnorm20_y15_10_unscreened", y15, screen = FALSE)
# tests/testthat/test-ptd_spc_standard.R: 2 points near the limits on opposite sides of the mean.
sym <- rep(c(1, -1), times = 8)
sym[15] <- 5.5
sym[16] <- -5.5
add("opposite_sides", sym)
# tests/testthat/test-ptd_calculate_point_type.R: ptd_seven_point_trend's vectors as series.
add("trend_up", c(2, 1:7, 3))
add("trend_down", c(2, 7:1, 3))
add("trend_tie", c(1:3, 3:6))
# Edge cases: a flat series (every moving range 0), a step (one moving range, screened out).
add("flat", rep(5, 15))
add("step", c(rep(5, 6), rep(10, 6)))
# A point exactly on the upper limit (found by fixed-point iteration; y[15] == upl in R),
# and the same point one step of 2^-48 above it.
on <- c(10, 12, 11, 13, 10, 12, 11, 13, 10, 12, 11, 13, 10, 12, 15)
for (k in 1:200) on[15] <- ref(on, 1)$upl[1]
stopifnot(on[15] == ref(on, 1)$upl[1])
add("on_limit", on)
above <- on
above[15] <- on[15] + 2^-48
add("above_limit", above)
# Missing values: a gap in the first test series, and at the start.
gap <- y
gap[10] <- NA
add("rnorm20_gap", gap)
lead <- y
lead[1] <- NA
add("rnorm20_lead_gap", lead)
# Planted signals: a shift of 8 months (13-20), a trend of 7 (21-27), one outlier (30).
zig <- function(n, level, amp = 2) level + amp * rep(c(1, -1), length.out = n)
planted <- c(zig(12, 100), zig(8, 104, 1), c(96, 97.5, 99, 100.5, 102, 103.5, 105), zig(2, 100)[2:1], 125, zig(6, 100))
add("planted_increase", planted, 1)
add("planted_decrease", planted, -1)
add("planted_neutral", planted, 0)
# The sample run's monthly series (SampleData/expected/referral-equity/tables/trends.csv).
trends <- read.csv(args[[2]], colClasses = "character", na.strings = character())
trends <- trends[trends$interval == "month" & trends$dimension %in% c("all", "nation") & trends$partial == "FALSE", ]
for (key in unique(paste(trends$measure, trends$dimension, trends$group, sep = "|"))) {
  s <- trends[paste(trends$measure, trends$dimension, trends$group, sep = "|") == key, ]
  s <- s[order(s$interval_start), ]
  v <- suppressWarnings(as.numeric(s$value))
  if (any(grepl("^(not_recorded|recorded_in_part):", s$note)) || sum(!is.na(v)) < 12) next
  add(paste0("sample:", key), v, 0)
}

rows <- list()
for (c in cases) {
  r <- tryCatch(ref(c$y, c$direction, c$screen), error = function(e) NULL)
  if (is.null(r)) {
    message("the package stops with an error on ", c$name, "; left out")
    next
  }
  rows[[length(rows) + 1]] <- data.frame(
    case = c$name, direction = c$direction, screen = c$screen, index = seq_along(c$y),
    y = ifelse(is.na(c$y), "", sprintf("%.17g", c$y)),
    centre = sprintf("%.17g", r$mean_col), lpl = sprintf("%.17g", r$lpl), upl = sprintf("%.17g", r$upl),
    special_cause_type = r$special_cause_type, point_type = r$point_type
  )
}
out <- do.call(rbind, rows)
out$lpl[out$lpl == "NaN"] <- ""
out$upl[out$upl == "NaN"] <- ""
writeLines(c(
  "# NHSRplotthedots' own ptd_spc_standard + ptd_calculate_point_type (nhs-r-community/NHSRplotthedots",
  "# commit 050b07d7eacc011767532732f69b8fd7d6a28fd3, R/ptd_spc_standard.R, R/ptd_calculate_point_type.R)",
  "# run on the cases of scripts/spc-reference.R by that script; direction 1 increase, -1 decrease, 0 neutral."
), args[[3]])
suppressWarnings(write.table(out, args[[3]], row.names = FALSE, quote = FALSE, sep = ",", append = TRUE))
cat("spc-reference:", nrow(out), "rows,", length(rows), "cases\n")
