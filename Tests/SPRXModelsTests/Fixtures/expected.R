# Expected values for Tests/SPRXModelsTests (independent of sprx).
# Run: Rscript expected.R > expected_r.csv
# Tools: R (glm), MASS::glm.nb, sandwich::vcovCL(type = "HC1"); versions are written
# into the output's first lines.
suppressPackageStartupMessages({ library(MASS); library(sandwich) })
d <- read.csv("glm_fixture.csv", stringsAsFactors = FALSE)
d$group <- relevel(factor(d$group, levels = c("A", "B", "C", "D")), ref = "B")
d$sex <- factor(d$sex, levels = c("F", "M"))
d$band <- relevel(factor(d$band, levels = c("young", "middle", "old")), ref = "middle")
tight <- glm.control(epsilon = 1e-14, maxit = 200)

cat(sprintf("# R %s, MASS %s, sandwich %s\n", getRversion(), packageVersion("MASS"), packageVersion("sandwich")))
cat("model,quantity,term,value\n")
out <- function(model, quantity, term, value) cat(sprintf("%s,%s,%s,%.17g\n", model, quantity, term, value))
terms <- function(model, fit, robust) {
  b <- coef(fit); se <- sqrt(diag(vcov(fit))); rse <- sqrt(diag(robust))
  for (i in seq_along(b)) {
    out(model, "coef", names(b)[i], b[i])
    out(model, "se_model", names(b)[i], se[i])
    out(model, "se_cr1", names(b)[i], rse[i])
  }
}

# Logistic: y ~ group + sex + band, CR1 by cluster.
logit <- glm(y ~ group + sex + band, family = binomial, data = d, control = tight)
logitCL <- vcovCL(logit, cluster = ~cluster, type = "HC1")
terms("logistic", logit, logitCL)
out("logistic", "loglik", "", as.numeric(logLik(logit)))
out("logistic", "n_obs", "", nobs(logit))

# The CR1 factor written out, to check vcovCL's HC1 is G/(G-1) (N-1)/(N-K).
X <- model.matrix(logit); u <- X * (d$y - fitted(logit))
G <- length(unique(d$cluster)); N <- nrow(X); K <- ncol(X)
meat <- crossprod(rowsum(u, d$cluster)); bread <- vcov(logit)
manual <- G / (G - 1) * (N - 1) / (N - K) * bread %*% meat %*% bread
stopifnot(max(abs(manual - logitCL) / abs(logitCL)) < 1e-8)

# Average marginal effects (discrete change from the reference level, averaged over
# the sample, as Stata's margins dydx(i.x)); delta-method SEs with the CR1 covariance.
ame <- function(factorName, level, V) {
  ref <- levels(d[[factorName]])[1]
  d1 <- d; d1[[factorName]] <- factor(level, levels = levels(d[[factorName]]))
  d0 <- d; d0[[factorName]] <- factor(ref, levels = levels(d[[factorName]]))
  X1 <- model.matrix(~ group + sex + band, d1); X0 <- model.matrix(~ group + sex + band, d0)
  p1 <- plogis(X1 %*% coef(logit)); p0 <- plogis(X0 %*% coef(logit))
  grad <- colMeans(as.vector(p1 * (1 - p1)) * X1 - as.vector(p0 * (1 - p0)) * X0)
  c(mean(p1 - p0), sqrt(drop(t(grad) %*% V %*% grad)), sqrt(drop(t(grad) %*% vcov(logit) %*% grad)))
}
for (f in c("group", "sex", "band")) {
  for (lv in levels(d[[f]])[-1]) {
    a <- ame(f, lv, logitCL)
    out("logistic", "ame", paste0(f, lv), a[1])
    out("logistic", "ame_se_cr1", paste0(f, lv), a[2])
    out("logistic", "ame_se_model", paste0(f, lv), a[3])
  }
}

# Negative binomial (NB2): count ~ group + sex + band, theta by ML, CR1 by cluster.
nb <- glm.nb(count ~ group + sex + band, data = d, control = tight)
nbCL <- vcovCL(nb, cluster = ~cluster, type = "HC1")
terms("negative_binomial", nb, nbCL)
out("negative_binomial", "theta", "", nb$theta)
out("negative_binomial", "theta_se", "", nb$SE.theta)
out("negative_binomial", "loglik", "", as.numeric(logLik(nb)))
