import SPRXCore
import SPRXIngest
import SPRXPipeline

/// Sums the catchment's population per group, exactly as referrals are grouped.
///
/// Each catchment area (``ReferenceData/residents``) belongs to the group its referrals
/// get from ``EnrichRules/enrichPacked(area:age:)``: its nation, its decile in its own
/// nation's deprivation index (0 when the index does not list it) and its rurality.
/// The single-year-of-age files are streamed, one pass per file, summing each row into
/// its group's European Standard Population age groups; no row is kept. This is the
/// slow part (a few megabytes of gzip), so it is a call of its own that a run can make
/// on another thread while rows are counted: the per-referral ``AreaInfo/resident``
/// flag comes from ``ReferenceData/load(_:)`` and does not wait for it.
public enum PopulationLoader {
    /// The denominators for the pipeline's population, or `nil` when it has none
    /// (`population: none`).
    ///
    /// - Parameters:
    ///   - settings: the pipeline's enrich settings (reference folder, age bands, population).
    ///   - reference: the lookups ``ReferenceData/load(_:)`` read with the same settings.
    /// - Throws: ``SPRXError/Code/invalidReference`` (exit 78), naming the file, line and
    ///   column, when a single-year file cannot be read, lacks a column, holds a count
    ///   that is not a whole number within ``ReferenceBounds/areaPopulation``, has a row whose single years do not add up to
    ///   its total, lists an area twice, or lacks catchment areas of a nation it serves
    ///   (saying how many and the first).
    public static func denominators(_ settings: EnrichSettings, reference: ReferenceData) throws -> PopulationDenominators? {
        guard let population = settings.population else { return nil }
        var result = PopulationDenominators(edition: population.edition, catchment: population.catchment.description)

        // Each catchment area's group, and its position for the single-year pass.
        var cells: [ResidentCell] = []
        var cellOfArea = FlatTable<ShortCode, Int64>(initial: -1, minimumCapacity: reference.residents.count)
        var cellIndex: [ResidentCell: Int] = [:]
        for area in reference.residents {
            let info = reference.info(area.code) ?? AreaInfo()
            let nation = area.code.nation
            let cell = ResidentCell(nation: nation, decile: info.decile, rurality: info.rurality)
            let index: Int
            if let existing = cellIndex[cell] {
                index = existing
            } else {
                index = cells.count
                cells.append(cell)
                cellIndex[cell] = index
            }
            cellOfArea.update(area.code) { $0 = Int64(index) }
            result.totals[cell, default: 0] += area.population
            result.areas[nation, default: 0] += 1
            if result.areasByAuthority.count <= Int(info.authority) {
                result.areasByAuthority += [Int](repeating: 0, count: Int(info.authority) + 1 - result.areasByAuthority.count)
            }
            result.areasByAuthority[Int(info.authority)] += 1
            if info.decile == 0 { result.areasWithoutDecile[nation, default: 0] += 1 }
        }

        // Single years per group, one pass per file (one file may serve several nations).
        let ages = SingleYearOfAgeColumns.count
        var byAge = [Int64](repeating: 0, count: cells.count * ages)
        var filesRead: [String] = []
        for source in population.singleYearOfAge where !filesRead.contains(source.file) {
            filesRead.append(source.file)
            let nations = population.singleYearOfAge.filter { $0.file == source.file }.map(\.nation)
            let (info, found) = try sumSingleYears(
                source, nations: nations, settings: settings, cellOfArea: cellOfArea, ages: ages, into: &byAge)
            for nation in nations {
                let expected = reference.residents.filter { $0.code.nation == nation }
                let missing = expected.filter { $0.population > 0 && !found.contains($0.code) }
                if let first = missing.first {
                    throw SPRXError(
                        .invalidReference,
                        "\(missing.count) \(nation.label) small area\(missing.count == 1 ? "" : "s") of the population catchment \(missing.count == 1 ? "is" : "are") not in the single-year-of-age file (first: \(first.code)); it must cover every area of the totals file \(population.totals.file)",
                        location: DataLocation(file: source.file, column: source.codeColumn))
                }
            }
            result.files.append(info)
        }
        result.authorityNames = reference.localAuthorities
        result.nationsWithAges = Nation.known.filter { population.singleYearOfAge(for: $0) != nil }

        // Per group: the standard's age groups; per nation: the pipeline's age bands.
        // safe: group(ofAge:) is nil only for a negative age
        let groupOfAge = (0..<ages).map { EuropeanStandardPopulation.group(ofAge: $0)! }
        var singleYearsOfNation: [Nation: [Int64]] = [:]
        for (index, cell) in cells.enumerated() where result.nationsWithAges.contains(cell.nation) {
            var groups = [Int64](repeating: 0, count: EuropeanStandardPopulation.groupCount)
            var years = singleYearsOfNation[cell.nation] ?? [Int64](repeating: 0, count: ages)
            for age in 0..<ages {
                let people = byAge[index * ages + age]
                groups[groupOfAge[age]] += people
                years[age] += people
            }
            result.byStandardAge[cell] = groups
            singleYearsOfNation[cell.nation] = years
        }
        for nation in result.nationsWithAges {
            let years = singleYearsOfNation[nation] ?? [Int64](repeating: 0, count: ages)
            result.byAgeBand[nation] = settings.ageBands.map { band in bandPopulation(band, singleYears: years) }
        }
        return result
    }

    /// The population of an age band from single years (the last holding the open
    /// group, ``EuropeanStandardPopulation/openAge`` and over); `nil` when the band
    /// splits the open group.
    static func bandPopulation(_ band: AgeBand, singleYears: [Int64]) -> Int64? {
        let open = singleYears.count - 1
        if band.upper < open { return singleYears[band.lower...band.upper].reduce(0, +) }
        // The band reaches the open group: it must hold all of it (ages to 120) and start at or below it.
        guard band.lower <= open, band.upper >= 120 else { return nil }
        return singleYears[band.lower...open].reduce(0, +)
    }

    /// Streams one single-year file, adding each catchment row's single years to its
    /// group's slots of `byAge` (`ages` slots per group).
    ///
    /// - Returns: the file for the manifest, and the areas of `nations` it lists.
    private static func sumSingleYears(
        _ source: SingleYearOfAgeSource, nations: [Nation], settings: EnrichSettings, cellOfArea: FlatTable<ShortCode, Int64>, ages: Int,
        into byAge: inout [Int64]
    ) throws -> (ReferenceFileInfo, FirstLines) {
        let path = settings.referenceDirectory + "/" + source.file
        let ageColumns = SingleYearOfAgeColumns.names
        let columns = [source.codeColumn, source.totalColumn] + ageColumns + (source.sexColumn.map { [$0] } ?? [])
        let wantedSex = source.sex.map { Array($0.lowercased().utf8) }
        var lineOfArea = FirstLines(
            rule: "a single-year-of-age file lists each area once\(source.sexColumn == nil ? "" : " per sex")")
        var years = [Int64](repeating: 0, count: ages)
        let (sha, rows) = try ReferenceData.scanLookup(path: path, name: source.file, columns: columns) { row, indices in
            if let wantedSex, !sameText(row[indices[2 + ages]], wantedSex) { return }
            guard let code = ShortCode(normalising: row[indices[0]]), !code.isDigest else {
                throw SPRXError(
                    .invalidReference, "row has an empty or overlong area code",
                    location: DataLocation(file: source.file, line: row.line, column: source.codeColumn))
            }
            guard nations.contains(code.nation) else { return }
            try lineOfArea.note(code, line: row.line, file: source.file, column: source.codeColumn)
            var sum: Int64 = 0
            for age in 0..<ages {
                let people = try PopulationCount.area(row[indices[2 + age]], file: source.file, line: row.line, column: ageColumns[age])
                years[age] = people
                sum += people
            }
            let total = try PopulationCount.area(row[indices[1]], file: source.file, line: row.line, column: source.totalColumn)
            guard sum == total else {
                throw SPRXError(
                    .invalidReference, "the single years of age (\(ageColumns.first!) to \(ageColumns.last!)) do not add up to the row's total",
                    location: DataLocation(file: source.file, line: row.line, column: source.totalColumn))
            }
            guard let cell = cellOfArea[code].map(Int.init) else { return }
            for age in 0..<ages { byAge[cell * ages + age] += years[age] }
        }
        let use = "population by single year of age \(nations.map(\.label).joined(separator: ", "))"
        let info = ReferenceFileInfo(name: source.file, path: path, edition: source.edition, use: use, sha256: sha, rows: rows)
        return (info, lineOfArea)
    }

    /// Whether `field` (spaces around it ignored) is `text`, ignoring ASCII case.
    private static func sameText(_ field: UnsafeRawBufferPointer, _ lowered: [UInt8]) -> Bool {
        let range = Padding.unpadded(field)
        guard range.count == lowered.count else { return false }
        for (offset, i) in range.enumerated() {
            var b = field[i]
            if b >= 0x41 && b <= 0x5A { b += 0x20 }
            guard b == lowered[offset] else { return false }
        }
        return true
    }
}
