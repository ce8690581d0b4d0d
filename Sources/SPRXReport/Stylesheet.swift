extension Report {
    /// The style sheet; every colour is a ``Palette`` constant (their contrast is tested).
    ///
    /// Assembled from parts so that layout, structure and chart rules can each be kept
    /// beside the code they style.
    static let css = baseCSS + structureCSS + chartCSS

    /// The base style sheet: page, type, tables and print rules.
    static let baseCSS = """
        :root { color: \(Palette.ink); font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; line-height: 1.45; }
        body { margin: 0; background: \(Palette.page); }
        main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
        h1 { font-size: 1.6rem; margin: 0.5rem 0; }
        h2 { font-size: 1.25rem; border-bottom: 2px solid \(Palette.medical); padding-bottom: 0.2rem; margin-top: 2rem; }
        h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
        .lede { color: \(Palette.muted); }
        .warning { background: \(Palette.warningBackground); border-left: 4px solid \(Palette.warningBorder); padding: 0.5rem 0.75rem; font-weight: 600; }
        .cards { display: flex; flex-wrap: wrap; gap: 0.75rem; }
        .card { flex: 1 1 7.5rem; border: 1px solid \(Palette.rule); border-radius: 4px; padding: 0.5rem 0.75rem; }
        .card p { margin: 0.2rem 0; font-size: 0.9rem; }
        .card .big { font-size: 1.7rem; font-weight: 700; color: \(Palette.medical); }
        .findings p { margin: 0.2rem 0; }
        .findings .comparison { color: \(Palette.muted); font-size: 0.9rem; }
        .spc-findings li { display: flex; gap: 0.4rem; align-items: flex-start; }
        svg.variation-icon { flex: none; display: inline-block; margin-top: 0.15rem; }
        p > svg.variation-icon { margin-top: 0; vertical-align: text-bottom; }
        .table-wrap { overflow-x: auto; max-width: 100%; margin: 0.75rem 0; }
        table { border-collapse: collapse; margin: 0; font-size: 0.85rem; min-width: min(24rem, 100%); }
        caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; overflow-wrap: break-word; }
        th, td { border-bottom: 1px solid \(Palette.rule); padding: 0.2rem 0.6rem; text-align: left; vertical-align: top; }
        thead th { border-bottom: 2px solid \(Palette.muted); }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        figure { margin: 1rem 0; }
        figcaption { font-size: 0.85rem; color: \(Palette.muted); }
        svg { max-width: 100%; height: auto; display: block; }
        svg text { font-family: inherit; }
        svg text:not([fill]) { fill: \(Palette.ink); }
        svg .small { font-size: 11px; }
        svg .axis { font-size: 11px; font-weight: 600; }
        svg .panel { font-size: 12px; font-weight: 600; }
        svg .onbar { font-size: 10px; }
        details { margin: 0.3rem 0 1rem; }
        .print-only { display: none; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em; overflow-wrap: anywhere; }
        code.snippet { display: block; white-space: pre-wrap; margin: 0.3rem 0; font-weight: 400; }
        summary { cursor: pointer; color: \(Palette.link); }
        footer { margin-top: 2rem; font-size: 0.8rem; color: \(Palette.muted); }
        @media print {
          @page { size: A4; margin: 12mm 13mm; }
          :root { font-size: 9.5pt; line-height: 1.35; }
          h2 { margin-top: 1.2rem; }
          footer { margin-top: 0.8rem; }
          details:not([open]) { display: none; }
          figure { margin: 0.5rem 0; }
          ul { margin: 0.4rem 0; }
          p { margin: 0.4rem 0; }
          main { max-width: none; padding: 0; }
          .table-wrap { overflow-x: visible; }
          table { font-size: 0.8rem; max-width: 100%; }
          table:has(thead th:nth-child(8)) { font-size: 0.7rem; }
          th, td { padding: 0.15rem 0.3rem; }
          tbody th, td:not(.num) { overflow-wrap: anywhere; }
          h2 { break-after: avoid; }
          figure, .card, tr { break-inside: avoid; }
          caption, thead { break-after: avoid; }
          h3, .model > p { break-after: avoid; }
          .model figcaption { display: none; }
          details > summary { display: none; }
          .print-only { display: block; }
          .screen-only { display: none; }
        }
        """
}
