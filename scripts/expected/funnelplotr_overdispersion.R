#!/usr/bin/env Rscript
# Expected values for Tests/SPRXAggregateTests/OverdispersionTests.swift: phi, tau2 and
# the overdispersed funnel limits as nhs-r-community/FunnelPlotR computes them.
#
# Runs FunnelPlotR's own code, not a re-implementation: its R/ directory at commit
# 9020d4972873d863e10b8a16555975f0e322adfc is extracted from the mirror with
#   git -C /work/.mirror/nhs-r-community+FunnelPlotR/repo archive \
#     9020d4972873d863e10b8a16555975f0e322adfc R | tar x -C "$FUNNELPLOTR_DIR"
# and sourced, then its exported funnel_plot() is called on each case; phi and tau2 are
# the values it returns, the limits the aggregated_data columns OD95LCL, OD95UCL,
# OD99LCL, OD99UCL at each organisation's denominator.
#
# Usage: FUNNELPLOTR_DIR=/tmp/od/fpr Rscript scripts/expected/funnelplotr_overdispersion.R
# (needs R with ggplot2, ggrepel, scales, rlang and dplyr: Debian's r-cran-* packages).
# Writes Tests/SPRXAggregateTests/Fixtures/funnelplotr_overdispersion.csv; the tests read
# it and never call R.
suppressMessages({library(ggplot2); library(ggrepel); library(scales); library(rlang); library(dplyr)})
# FunnelPlotR asks for ggplot2 >= 3.5.2; with Debian 12's 3.4.1 the one call it makes to
# ggplot2::is_ggplot (validate_funnel_plot, a check of the returned plot object, not part
# of any computation) is pointed at inherits(x, "ggplot").
has_is_ggplot <- "is_ggplot" %in% getNamespaceExports("ggplot2")
for (f in list.files(file.path(Sys.getenv("FUNNELPLOTR_DIR"), "R"), full.names = TRUE)) {
  code <- readLines(f)
  if (!has_is_ggplot) code <- gsub("ggplot2::is_ggplot(", "(function(x) inherits(x, \"ggplot\"))(", code, fixed = TRUE)
  eval(parse(text = code), envir = globalenv())
}

rows <- list()
run <- function(case, d, data_type) {
  fp <- suppressMessages(funnel_plot(d, num, denom, group, data_type = data_type))
  a <- fp$aggregated_data
  a <- a[order(as.character(a$group)), ]
  rows[[case]] <<- data.frame(case = case, scale = ifelse(data_type == "PR", "proportion", "ratio"),
    group = as.character(a$group), numerator = a$numerator, denominator = a$denominator,
    phi = fp$phi, tau2 = fp$tau2, od_lower_95 = a$OD95LCL, od_upper_95 = a$OD95UCL,
    od_lower_998 = a$OD99LCL, od_upper_998 = a$OD99UCL)
}

# 1. FunnelPlotR's own test data (tests/testthat/test-classes_methods.R and
#    test-funnel_plot.R): standardised ratios, SHMI method (the default). The test
#    asserts round(phi, 6) == 2.948033.
run("funnelplotr_tests", data.frame(num = c(100, 150, 180, 80, 120, 225), denom = c(108, 112, 165, 95, 100, 220),
    group = factor(c("a", "b", "c", "d", "e", "f"))), "SR")
# 2. Twenty organisations, ratios (observed, expected), one with no observed events and
#    a tie (r05, r06), so SHMI truncation leaves out both tails (ranks 1-2 and 19-20).
run("twenty_ratios", data.frame(group = sprintf("r%02d", 1:20),
  num = c(0, 20, 18, 45, 30, 30, 35, 90, 40, 100, 70, 120, 70, 160, 100, 190, 130, 260, 170, 380),
  denom = c(6.5, 14.2, 30.1, 28.4, 41.7, 41.7, 47.9, 66.2, 55.0, 70.4, 92.8, 81.6, 99.9, 110.3, 140.2, 131.7, 175.4, 180.0, 205.5, 290.6)), "SR")
# 3. Twenty organisations, proportions (events, n): arcsine scale, Winsorised 10% a tail.
run("twenty_proportions", data.frame(group = sprintf("p%02d", 1:20),
  num = c(3, 14, 8, 30, 20, 40, 24, 60, 30, 70, 50, 90, 52, 110, 60, 140, 70, 200, 104, 270),
  denom = c(20, 35, 52, 60, 90, 88, 120, 130, 150, 140, 210, 190, 260, 250, 300, 320, 350, 480, 520, 600)), "PR")
# 4. Underdispersed proportions (phi < 1): tau2 is 0, the limits the plain arcsine ones.
run("underdispersed_proportions", data.frame(group = sprintf("u%02d", 1:10),
  num = c(30, 31, 29, 30, 30, 31, 29, 30, 30, 30), denom = rep(100, 10)), "PR")
# 5. Twelve organisations' exact counts, three with 1-7 events (which disclosure control
#    suppresses) and none a multiple of 5 (which it rounds): the data of
#    OrganisationOverdispersionTableTests.dispersionFromExactCounts, where sprx must give
#    the same phi and tau2 with disclosure control on and off. Proportions, and the
#    ratios of one stratum (expected = n x the exact share 372/1240 = 0.3, so that
#    FunnelPlotR's rounding of expected counts to 2 decimals changes nothing).
dc_num <- c(23, 4, 57, 11, 6, 88, 31, 2, 46, 19, 73, 12)
dc_denom <- c(61, 38, 212, 49, 17, 240, 133, 9, 101, 166, 188, 26)
dc_group <- sprintf("A%05d", 10001:10012)
run("exact_counts_proportions", data.frame(group = dc_group, num = dc_num, denom = dc_denom), "PR")
run("exact_counts_ratios", data.frame(group = dc_group, num = dc_num, denom = dc_denom * sum(dc_num) / sum(dc_denom)), "SR")

out <- do.call(rbind, rows)
header <- c("# FunnelPlotR 9020d4972873d863e10b8a16555975f0e322adfc funnel_plot() via scripts/expected/funnelplotr_overdispersion.R",
  paste0("# ", R.version.string))
con <- file("Tests/SPRXAggregateTests/Fixtures/funnelplotr_overdispersion.csv", "w")
writeLines(header, con)
for (column in names(out)) if (is.numeric(out[[column]])) out[[column]] <- sprintf("%.15g", out[[column]])
write.csv(out, con, row.names = FALSE, quote = FALSE)
close(con)
