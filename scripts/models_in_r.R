# Fits a pipeline's models in R from a row-level frame, for scripts/check_models.py.
# Usage: Rscript models_in_r.R FRAME.csv SPEC.csv REFERENCES.csv > r_models.csv
# FRAME: one row per clean referral (covariates, organisation, outcomes).
# SPEC: model,outcome,family,covariates (space-separated).
# REFERENCES: covariate,level.
# Uses glm (binomial), MASS::glm.nb and sandwich::vcovCL(type = "HC1"), tight tolerances.
suppressPackageStartupMessages({ library(MASS); library(sandwich) })
args <- commandArgs(trailingOnly = TRUE)
frame <- read.csv(args[1], colClasses = "character")
spec <- read.csv(args[2], colClasses = "character")
refs <- read.csv(args[3], colClasses = "character")
tight <- glm.control(epsilon = 1e-14, maxit = 200)
cat(sprintf("# R %s, MASS %s, sandwich %s\n", getRversion(), packageVersion("MASS"), packageVersion("sandwich")))
cat("model,term,level,quantity,value\n")
out <- function(model, term, level, quantity, value) cat(sprintf("%s,%s,%s,%s,%.17g\n", model, term, level, quantity, value))
unknown <- function(cov) if (cov == "route_type") "unknown" else "Unknown"

for (i in seq_len(nrow(spec))) {
  m <- spec[i, ]
  covs <- strsplit(m$covariates, " ")[[1]]
  d <- frame
  for (cv in covs) d <- d[d[[cv]] != unknown(cv), ]
  y <- switch(m$outcome,
    route_nonmedical = ifelse(d$route_type == "non_medical", 1, ifelse(d$route_type == "medical", 0, NA)),
    contacted = as.numeric(d$contacted),
    any_intervention = ifelse(is.na(as.numeric(d$interventions)), NA, as.numeric(as.numeric(d$interventions) > 0)),
    contacts = as.numeric(d$contacts),
    interventions = as.numeric(d$interventions))
  d$y <- y
  d <- d[!is.na(d$y) & d$organisation != "", ]
  for (cv in covs) {
    d[[cv]] <- relevel(factor(d[[cv]]), ref = refs$level[refs$covariate == cv])
  }
  f <- as.formula(paste("y ~", paste(covs, collapse = " + ")))
  fit <- if (m$family == "logistic") glm(f, family = binomial, data = d, control = tight) else glm.nb(f, data = d, control = tight)
  V <- vcovCL(fit, cluster = ~organisation, type = "HC1")
  b <- coef(fit); se <- sqrt(diag(vcov(fit))); rse <- sqrt(diag(V))
  name_of <- function(nm) {
    if (nm == "(Intercept)") return(c("(Intercept)", ""))
    for (cv in covs) if (startsWith(nm, cv) && substring(nm, nchar(cv) + 1) %in% levels(d[[cv]])) return(c(cv, substring(nm, nchar(cv) + 1)))
    stop(nm)
  }
  for (j in seq_along(b)) {
    tl <- name_of(names(b)[j])
    out(m$model, tl[1], tl[2], "coef", b[j]); out(m$model, tl[1], tl[2], "se_model", se[j]); out(m$model, tl[1], tl[2], "se_cr1", rse[j])
  }
  out(m$model, "", "", "n_obs", nobs(fit))
  out(m$model, "", "", "n_clusters", length(unique(d$organisation)))
  if (m$family != "logistic") {
    out(m$model, "theta", "", "theta", fit$theta); out(m$model, "theta", "", "theta_se", fit$SE.theta)
  } else {
    mm <- function(dd) model.matrix(delete.response(terms(fit)), dd)
    for (cv in covs) for (lv in levels(d[[cv]])[-1]) {
      d1 <- d; d1[[cv]] <- factor(lv, levels = levels(d[[cv]]))
      d0 <- d; d0[[cv]] <- factor(levels(d[[cv]])[1], levels = levels(d[[cv]]))
      X1 <- mm(d1); X0 <- mm(d0)
      p1 <- plogis(drop(X1 %*% b)); p0 <- plogis(drop(X0 %*% b))
      g <- colMeans(p1 * (1 - p1) * X1 - p0 * (1 - p0) * X0)
      out(m$model, cv, lv, "ame", mean(p1 - p0)); out(m$model, cv, lv, "ame_se_cr1", sqrt(drop(t(g) %*% V %*% g)))
    }
  }
}
