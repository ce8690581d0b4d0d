extension Report {
    /// Style rules for the report's structure: title page, findings, sections, appendix.
    static let structureCSS = ""
}
