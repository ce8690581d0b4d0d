import Foundation
import SPRXCore
import SPRXEnrich
import SPRXPipeline

/// One organisation that generated referrals come from, with the places it serves.
struct GeneratedOrganisation {
    /// The `organisation_id` written: a real PCN code in England, a synthetic U- or X-code
    /// elsewhere and beyond the real PCNs (``GeneratedOrganisations/syntheticCode(_:)``).
    var code: String
    var name: String
    /// `PCN` for a real PCN, `scheme` for a synthetic service.
    var type: String
    var parentCode: String
    var parentName: String
    var parentType: String
    var nation: Nation
    /// A contiguous run of neighbouring real small areas of ``nation`` (sorted by code).
    var areas: ArraySlice<(code: String, decile: Int)>
    /// The organisation's random effect on the logit of a non-medical route.
    var effect: Double
    /// Its share of the referrals.
    var weight: Double
}

/// The organisations of a generated set: real primary care networks in England, synthetic
/// link worker services grouped under synthetic health boards and trusts elsewhere.
///
/// England: the PCNs listed in every extract of `pcn_registered_patients_england.csv.gz`,
/// sorted by code, taken at even steps (the same PCNs for every seed); each serves a run of
/// neighbouring LSOAs about as large as its latest registered list (1,600 people an area),
/// and its share of referrals follows its registered patients. Its parent is the ICB of
/// most of its patients in the latest `gp_practice_pcn_lookup_england.csv.gz` extract
/// (that file gives no ICB names). The pairing of a PCN with its areas is synthetic.
///
/// Wales, Scotland and Northern Ireland: codes `U22901`, `U22902`, … in a block that no
/// PCN code of the 2020-2025 registration, practice and workforce files falls in (the
/// largest gap: U22507-U23361); the generator also refuses to run if the registration
/// file ever lists one.
///
/// A set of another size (`sprx generate --organisations N`, ``build(referenceDirectory:count:rng:)``):
/// the nations keep their shares of N (at least 3 each; England takes what rounding
/// leaves), England's PCNs are taken at even steps as above while N allows, and the
/// organisations beyond the real PCNs are synthetic link worker services (``syntheticCode(_:)``):
/// the U-block first, then `X00000`, `X00001`, …: no GP practice (A-P, Y; W in Wales) or
/// PCN (U) code starts with X, and the generator refuses to run if the registration or
/// practice file lists any code it made. Every code is ODS-shaped (a letter and five
/// digits), so `sprx run` publishes it without a lookup. Beyond a nation's small areas,
/// several organisations share an area.
enum GeneratedOrganisations {
    /// The first synthetic (non-English) organisation number.
    static let syntheticCodeStart = 22_901
    /// The last number of the block free of real PCN codes.
    static let syntheticCodeEnd = 23_361
    /// Registration file in the reference folder.
    static let registrationFile = "pcn_registered_patients_england.csv.gz"
    /// Practice → PCN → ICB lookup in the reference folder.
    static let practiceFile = "gp_practice_pcn_lookup_england.csv.gz"
    /// People in an average small area, to size a PCN's run of areas by its list.
    static let peoplePerArea = 1_600

    /// How many organisations the default set has (120: the nations' shares of it).
    static let defaultCount = 120
    /// The most organisations a set may have (``syntheticCode(_:)`` has codes for them all).
    static let maximumCount = 100_000
    /// The fewest: three in each nation.
    static let minimumCount = 12
    /// The letter of synthetic codes beyond the U-block: no GP practice or PCN code starts with it.
    static let overflowLetter = "X"
    /// Health boards in Wales, in Scotland, and health and social care trusts in Northern
    /// Ireland, and integrated care boards in England: synthetic parents cycle through as
    /// many as the nation has.
    static let parentGroups: [Nation: Int] = [.england: 42, .wales: 7, .scotland: 14, .northernIreland: 5]

    /// How many synthetic codes there are: the U-block's, then 100,000 X-codes.
    static let syntheticCapacity = syntheticCodeEnd - syntheticCodeStart + 1 + 100_000

    /// The `k`-th synthetic organisation code (from 0): `U22901` … `U23361`, then
    /// `X00000` … `X99999`.
    static func syntheticCode(_ k: Int) -> String {
        let block = syntheticCodeEnd - syntheticCodeStart + 1
        if k < block { return "U\(syntheticCodeStart + k)" }
        let n = k - block
        return overflowLetter + String(repeating: "0", count: max(0, 5 - String(n).count)) + String(n)
    }

    /// How many organisations each nation has in a set of `count`: its share (at least
    /// 3), England the rest, so they add up to `count` (the default: 94, 12, 8, 6).
    static func nationCounts(_ count: Int, shares: [Nation: Double]) -> [Nation: Int] {
        var counts: [Nation: Int] = [:]
        for nation in [Nation.scotland, .wales, .northernIreland] {
            // safe: shares has every nation
            counts[nation] = max(3, Int((shares[nation]! * Double(count)).rounded()))
        }
        counts[.england] = count - counts.values.reduce(0, +)
        return counts
    }

    /// The header of the organisation lookup `--organisation-lookup` writes (the pipeline's
    /// `organisations: lookup:` reads it).
    static let lookupHeader = ["code", "name", "type", "parent_code", "parent_name", "parent_type"]

    /// Builds the organisations, drawing effects and weights from `rng`.
    static func build(referenceDirectory dir: String, count total: Int = defaultCount, rng: inout SplitMix64) throws -> [GeneratedOrganisation] {
        let sources: [(Nation, String)] = [
            (.england, "imd2019_england_lsoa11.csv.gz"), (.wales, "wimd2019_wales_lsoa11.csv.gz"),
            (.scotland, "simd2020v2_scotland_dz11.csv.gz"), (.northernIreland, "nimdm2017_ni_soa.csv.gz"),
        ]
        let shares: [Nation: Double] = [.england: 0.78, .scotland: 0.10, .wales: 0.07, .northernIreland: 0.05]
        let pcns = try primaryCareNetworks(dir)
        let counts = nationCounts(total, shares: shares)
        var organisations: [GeneratedOrganisation] = []
        organisations.reserveCapacity(total)
        var synthetic = 0
        /// The next synthetic code, refused if a reference file lists it as a real code.
        func nextSyntheticCode() throws -> String {
            let code = syntheticCode(synthetic)
            guard synthetic < syntheticCapacity, !pcns.allCodes.contains(code) else {
                throw SPRXError(
                    .internalError, "a synthetic organisation code is listed as a real PCN or practice",
                    location: DataLocation(file: dir + "/" + registrationFile))
            }
            synthetic += 1
            return code
        }
        for (nation, file) in sources {
            let (rows, _, _) = try ReferenceTableReader.read(path: dir + "/" + file, columns: ["area_code", "decile"])
            let areas = rows.compactMap { row -> (code: String, decile: Int)? in
                guard let c = row["area_code"], let d = Int(row["decile"] ?? "") else { return nil }
                return (c, d)
            }.sorted { $0.code < $1.code }
            // safe: nationCounts has every nation that sources lists
            let count = counts[nation]!
            let slice = max(1, areas.count / count)
            // The first area of the i-th organisation: runs of `slice` areas; with more
            // organisations than areas, neighbours share areas.
            func start(_ i: Int) -> Int { count <= areas.count ? i * slice : i * areas.count / count }
            // safe: parentGroups has every nation that sources lists
            let groups = parentGroups[nation]!
            // safe: shares has every nation that sources lists
            let share = shares[nation]!
            var first = 0
            if nation == .england {
                let real = min(count, pcns.networks.count)
                let chosen = (0..<real).map { pcns.networks[$0 * pcns.networks.count / real] }
                let patients = Double(chosen.reduce(0) { $0 + $1.patients })
                // The real PCNs' share of England's referrals: all of it unless synthetic services join them.
                let realShare = real == count ? share : share * Double(real) / Double(count)
                for (i, pcn) in chosen.enumerated() {
                    let length = min(slice, max(5, (pcn.patients + peoplePerArea / 2) / peoplePerArea))
                    let parent = pcns.icb[pcn.code] ?? ""
                    organisations.append(
                        GeneratedOrganisation(
                            code: pcn.code, name: pcn.name, type: "PCN", parentCode: parent, parentName: "",
                            parentType: parent.isEmpty ? "" : "ICB", nation: nation, areas: areas[start(i)..<min(areas.count, start(i) + length)],
                            effect: 0.45 * rng.normal(), weight: realShare * Double(pcn.patients) / patients * Foundation.exp(0.4 * rng.normal())))
                }
                first = real
            }
            let (groupType, groupName, perGroup) =
                switch nation {
                case .northernIreland: ("trust", "trust", 3)
                case .england: ("ICB", "integrated care board", 4)
                default: ("health board", "health board", 4)
                }
            for i in first..<count {
                let end = i == count - 1 ? areas.count : min(areas.count, start(i) + slice)
                let code = try nextSyntheticCode()
                let group = (i - first) / perGroup % groups + 1
                organisations.append(
                    GeneratedOrganisation(
                        code: code, name: "Synthetic link worker service \(i - first + 1) (\(nation.label))", type: "scheme",
                        parentCode: "SYN-\(nationLetter(nation))\(group)", parentName: "Synthetic \(groupName) \(group) (\(nation.label))",
                        parentType: groupType, nation: nation, areas: areas[start(i)..<end], effect: 0.45 * rng.normal(),
                        weight: share / Double(count) * Foundation.exp(0.6 * rng.normal())))
            }
        }
        return organisations
    }

    private static func nationLetter(_ nation: Nation) -> String {
        switch nation {
        case .england: "E"
        case .wales: "W"
        case .scotland: "S"
        case .northernIreland: "N"
        case .unknown: "X"
        }
    }

    /// A PCN of the registration file: code, name and latest registered patients.
    struct Network {
        var code: String
        var name: String
        var patients: Int
    }

    /// The PCNs listed in every extract of the registration file (by code), every code the
    /// registration and practice files list (PCNs and practices: no synthetic code may be
    /// one), and each PCN's ICB from the practice lookup's latest extract.
    static func primaryCareNetworks(_ dir: String) throws -> (networks: [Network], allCodes: Set<String>, icb: [String: String]) {
        let (rows, _, _) = try ReferenceTableReader.read(
            path: dir + "/" + registrationFile, columns: ["extract_date", "pcn_code", "pcn_name", "registered_patients"])
        let extracts = Set(rows.map { $0["extract_date"] ?? "" })
        let latest = extracts.max() ?? ""
        var seen: [String: Int] = [:]
        var latestRows: [String: Network] = [:]
        for row in rows {
            let code = row["pcn_code"] ?? ""
            seen[code, default: 0] += 1
            if row["extract_date"] == latest, let patients = Int(row["registered_patients"] ?? "") {
                latestRows[code] = Network(code: code, name: row["pcn_name"] ?? "", patients: patients)
            }
        }
        let networks = latestRows.values.filter { seen[$0.code] == extracts.count && $0.patients > 0 }.sorted { $0.code < $1.code }
        guard !networks.isEmpty else {
            throw SPRXError(
                .invalidReference, "the PCN registration file lists no PCN in every extract", location: DataLocation(file: dir + "/" + registrationFile))
        }
        var allCodes = Set(seen.keys)
        // ICB of most registered patients per PCN in the practice lookup's latest extract.
        var icbPatients: [String: [String: Int]] = [:]
        let practicePath = dir + "/" + practiceFile
        if FileManager.default.fileExists(atPath: practicePath) {
            let (practices, _, _) = try ReferenceTableReader.read(
                path: practicePath, columns: ["extract_date", "practice_code", "pcn_code", "icb_code", "registered_patients"])
            for row in practices {
                for column in ["practice_code", "pcn_code"] { if let code = row[column], !code.isEmpty { allCodes.insert(code) } }
            }
            let latestPractice = practices.map { $0["extract_date"] ?? "" }.max() ?? ""
            for row in practices where row["extract_date"] == latestPractice {
                guard let pcn = row["pcn_code"], let icb = row["icb_code"], !icb.isEmpty else { continue }
                icbPatients[pcn, default: [:]][icb, default: 0] += Int(row["registered_patients"] ?? "") ?? 0
            }
        }
        let icb = icbPatients.mapValues { byICB in
            byICB.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!.key
        }
        return (networks, allCodes, icb)
    }

    /// The lookup CSV of `organisations`, sorted by code, with ``lookupHeader``.
    static func lookupCSV(_ organisations: [GeneratedOrganisation]) -> String {
        var text = CSVText.line(lookupHeader) + "\n"
        for o in organisations.sorted(by: { $0.code < $1.code }) {
            text += CSVText.line([o.code, o.name, o.type, o.parentCode, o.parentName, o.parentType].map(CSVText.text)) + "\n"
        }
        return text
    }
}
