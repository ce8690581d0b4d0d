extension Report {
    /// Style rules for charts: bars, labels, forest plots, trend panels.
    static let chartCSS = ""
}
