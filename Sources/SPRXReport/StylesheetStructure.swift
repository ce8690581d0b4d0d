extension Report {
    /// Style rules for the report's structure: page 1 (the summary), the sections'
    /// opening findings, the references and the appendix.
    ///
    /// Page 1 is one `section#summary` that must fit an A4 page when printed: in print
    /// it is set a little smaller and ends the page; the appendix follows on without a break.
    static let structureCSS = """
        #summary h1 { margin-top: 0.25rem; }
        #summary .organisation { font-size: 1.15rem; font-weight: 600; margin: 0.2rem 0; }
        #summary .findings li { margin-bottom: 0.35rem; }
        #summary .note { font-size: 0.85rem; color: \(Palette.muted); }
        p.finding { font-size: 1.05rem; font-weight: 600; border-left: 4px solid \(Palette.medical); padding: 0.2rem 0 0.2rem 0.6rem; }
        p.collapsed { font-style: italic; }
        .references li { margin-bottom: 0.4rem; overflow-wrap: anywhere; }
        #appendix { border-top: 3px double \(Palette.rule); margin-top: 3rem; }
        @media print {
          #summary { font-size: 0.95rem; break-after: page; }
          #summary h1 { font-size: 1.45rem; }
          #summary h2 { margin-top: 0.8rem; }
          #summary .card .big { font-size: 1.5rem; }
          #summary .findings p { margin: 0.1rem 0; }
          #references, #appendix, footer { font-size: 0.85rem; }
          #appendix h2 { margin-top: 0.8rem; }
        }
        """
}
