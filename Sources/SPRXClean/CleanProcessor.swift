import SPRXCore
import SPRXIngest
import SPRXPipeline

/// A label no mapping names: counted per field, reported in data quality, never guessed.
public struct UnmappedLabel: Hashable, Sendable, Comparable {
    public var field: LabelledField
    /// The label normalised (lower-cased, spaces collapsed) so spellings that the
    /// matcher treats alike are counted together.
    public var label: String
    public static func < (a: UnmappedLabel, b: UnmappedLabel) -> Bool {
        (a.field.name, a.label) < (b.field.name, b.label)
    }
}

/// What the clean stage made of one row.
public enum CleanOutcome: Sendable {
    case clean(ReferralRecord, RowIdentity)
    case quarantined(QuarantineReason, column: String?)
}

/// The per-file, per-worker clean stage: turns a decoded CSV row into a
/// ``ReferralRecord`` or a quarantine reason, counting unmapped labels.
///
/// Not `Sendable`: each worker owns one and its scratch space. Configuration lives in
/// the shared ``CleanRules``.
public final class CleanProcessor {
    public let rules: CleanRules
    public let layout: ColumnLayout
    /// Unmapped labels seen by this processor, with counts: at most
    /// ``InputLimits/maxDistinctUnmappedLabelsPerField`` distinct labels per field, then
    /// the rest counted under ``InputLimits/unmappedOverflowLabel``.
    public private(set) var unmapped: [UnmappedLabel: Int] = [:]
    /// Unmapped labels noted so far (a row that raises it has one).
    public private(set) var unmappedNoted = 0
    /// Unmapped reason labels noted so far (a row that raises it gives a reason no list
    /// names: the referrals, not the labels, are what a share of referrals counts).
    public private(set) var unmappedReasonsNoted = 0
    /// Distinct labels kept in `unmapped`, per labelled field.
    private var distinctUnmapped: [LabelledField: Int] = [:]
    private let maxDistinctUnmapped: Int
    private let scratch: UnsafeMutableRawBufferPointer
    private let columns: [Int]  // column index per CanonicalField.allCases position, -1 if absent

    /// - Parameter maxDistinctUnmapped: the per-field label limit (tests make it small).
    public init(rules: CleanRules, layout: ColumnLayout, maxDistinctUnmapped: Int = InputLimits.maxDistinctUnmappedLabelsPerField) {
        self.rules = rules
        self.layout = layout
        self.maxDistinctUnmapped = maxDistinctUnmapped
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: LabelTable.maxLabelLength, alignment: 8)
        columns = CanonicalField.allCases.map { layout.index[$0] ?? -1 }
        dimensionColumns = layout.dimensionIndex
        precondition(dimensionColumns.count == rules.dimensions.count, "a layout made for another pipeline's dimensions")
        mappedColumns =
            CanonicalField.allCases.compactMap { field in layout.index[field].map { ($0, field.rawValue) } }
            + zip(dimensionColumns, rules.dimensions).map { ($0, $1.field.name) }
    }

    /// Every column the pipeline maps (canonical fields in order, then declared
    /// dimensions) with the name a quarantine reason gives it: the length and encoding
    /// checks run over these.
    private let mappedColumns: [(column: Int, name: String)]

    /// Column index per declared dimension (``CleanRules/dimensions`` order).
    private let dimensionColumns: [Int]

    deinit { scratch.deallocate() }

    @inline(__always) private func column(_ field: CanonicalField) -> Int { columns[Self.position(field)] }

    /// The field's position in `CanonicalField.allCases`, without searching it per row.
    @inline(__always) static func position(_ field: CanonicalField) -> Int {
        switch field {
        case .referralID: 0
        case .personID: 1
        case .referralDate: 2
        case .age: 3
        case .sex: 4
        case .ethnicity: 5
        case .areaCode: 6
        case .referralSource: 7
        case .referralReasons: 8
        case .contacted: 9
        case .contacts: 10
        case .interventions: 11
        case .organisationID: 12
        }
    }

    /// Cleans one row.
    ///
    /// Checks run in ``QuarantineReason``'s order. The reader cuts off most rows over
    /// ``InputLimits/maxRowBytes`` before they get here; one that ended within a read of
    /// the limit is caught here, so the outcome never depends on where reads stop.
    public func process(_ row: CSVRow) -> CleanOutcome {
        if row.raw.count > InputLimits.maxRowBytes { return .quarantined(.rowTooLong, column: nil) }
        if row.unterminatedQuote { return .quarantined(.unterminatedQuote, column: nil) }
        guard row.fieldCount == layout.fieldCount else { return .quarantined(.fieldCount, column: nil) }
        for (column, name) in mappedColumns where row[column].count > InputLimits.maxMappedFieldBytes {
            return .quarantined(.fieldTooLong, column: name)
        }
        // Mapped fields must be UTF-8 so labels and ids compare as text.
        for (column, name) in mappedColumns where !Self.isValidUTF8(row[column]) { return .quarantined(.invalidEncoding, column: name) }
        for field in [CanonicalField.referralID, .personID, .referralDate] where Padding.trimmed(row[column(field)]).isEmpty {
            return .quarantined(.missingRequired, column: field.rawValue)
        }
        guard let date = rules.dates.parse(Padding.trimmed(row[column(.referralDate)])) else {
            return .quarantined(.invalidDate, column: CanonicalField.referralDate.rawValue)
        }
        if let from = rules.pipeline.dateFrom, date < from {
            return .quarantined(.dateOutOfWindow, column: CanonicalField.referralDate.rawValue)
        }
        if let to = rules.pipeline.dateTo, date > to {
            return .quarantined(.dateOutOfWindow, column: CanonicalField.referralDate.rawValue)
        }
        // In QuarantineReason's order: age, then contacts, then interventions.
        let age = optionalCount(.age, in: row)
        if let reason = age.reason(.age) { return .quarantined(reason, column: CanonicalField.age.rawValue) }
        let contacts = optionalCount(.contacts, in: row)
        if let reason = contacts.reason(.contacts) { return .quarantined(reason, column: CanonicalField.contacts.rawValue) }
        let interventions = optionalCount(.interventions, in: row)
        if let reason = interventions.reason(.interventions) { return .quarantined(reason, column: CanonicalField.interventions.rawValue) }

        var record = ReferralRecord(
            referralDate: date, age: Int16(age.value), route: rules.unknownRoute, contacts: Int32(contacts.value),
            interventions: Int32(interventions.value))
        if column(.sex) >= 0 {
            record.sex = lookup(rules.sex, .sex, row[column(.sex)]).flatMap { Sex(rawValue: $0) } ?? .unknown
        }
        if column(.ethnicity) >= 0 { record.ethnicity = ethnicity(row[column(.ethnicity)]) }
        if column(.areaCode) >= 0 { record.area = code(.areaCode, row[column(.areaCode)]) }
        if column(.organisationID) >= 0 { record.organisation = code(.organisationID, row[column(.organisationID)]) }
        if column(.referralSource) >= 0 {
            record.route = lookup(rules.routes, .referralSource, row[column(.referralSource)]) ?? rules.unknownRoute
        }
        if column(.referralReasons) >= 0 { record.reasons = reasons(row[column(.referralReasons)]) }
        for (n, column) in dimensionColumns.enumerated() { record.dimensionBits |= dimensionLevel(rules.dimensions[n], row[column]) }
        if column(.contacted) >= 0 {
            record.contacted = lookup(rules.contacted, .contacted, row[column(.contacted)]).flatMap { ContactFlag(rawValue: $0) } ?? .unknown
        }
        return .clean(record, identity(row))
    }

    // MARK: fields

    /// A whole-number column that may be absent from the file, empty in the row, or
    /// hold one of the field's missing values (all three: not known).
    private func optionalCount(_ field: CanonicalField, in row: CSVRow) -> ParsedCount {
        let index = column(field)
        guard index >= 0 else { return .absent }
        let value = Padding.trimmed(row[index])
        if isMissing(field, value) { return .absent }
        return Self.parseCount(value, max: PlausibleCount.maximum(field) ?? 0)
    }

    /// Whether `value` (trimmed) is one of the values the pipeline lists as meaning
    /// "not known" for `field` (`missing_values`).
    @inline(__always) private func isMissing(_ field: CanonicalField, _ value: UnsafeRawBufferPointer) -> Bool {
        guard !value.isEmpty, let table = rules.missingValues[Self.position(field)] else { return false }
        return table.lookup(value, scratch: scratch) != nil
    }

    /// A short code (area, organisation), `nil` when empty or a missing value.
    private func code(_ field: CanonicalField, _ bytes: UnsafeRawBufferPointer) -> ShortCode? {
        let value = Padding.trimmed(bytes)
        return isMissing(field, value) ? nil : ShortCode(normalising: value)
    }

    /// Looks a label up; an empty field or a missing value is unknown, another unmatched
    /// one is counted as unmapped.
    private func lookup(_ table: LabelTable, _ field: CanonicalField, _ bytes: UnsafeRawBufferPointer) -> UInt8? {
        let value = Padding.trimmed(bytes)
        if value.isEmpty { return nil }
        if let code = table.lookup(value, scratch: scratch) { return code }
        if !isMissing(field, value) { countUnmapped(LabelledField(field), value) }
        return nil
    }

    /// Counts an unmapped label, or the overflow label once the field has as many
    /// distinct labels as it keeps.
    private func countUnmapped(_ field: LabelledField, _ value: UnsafeRawBufferPointer) {
        unmappedNoted += 1
        let label = UnmappedLabel(field: field, label: LabelTable.normalisedText(value))
        if let count = unmapped[label] {
            unmapped[label] = count + 1
            return
        }
        if distinctUnmapped[field, default: 0] < maxDistinctUnmapped {
            distinctUnmapped[field, default: 0] += 1
            unmapped[label] = 1
        } else {
            unmapped[UnmappedLabel(field: field, label: InputLimits.unmappedOverflowLabel), default: 0] += 1
        }
    }

    /// A declared dimension's level, in its field of the key: a level's label, else
    /// Unknown (empty, a value meaning not known, or an unmapped label, counted).
    private func dimensionLevel(_ rule: CleanRules.DimensionRule, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let value = Padding.trimmed(bytes)
        var level = rule.unknownLevel
        if !value.isEmpty {
            if let code = rule.levels.lookup(value, scratch: scratch) {
                level = UInt64(code)
            } else if rule.unknown?.lookup(value, scratch: scratch) == nil {
                countUnmapped(rule.field, value)
            }
        }
        return level << rule.shift
    }

    private func ethnicity(_ bytes: UnsafeRawBufferPointer) -> Ethnicity {
        let value = Padding.trimmed(bytes)
        if value.isEmpty { return .unknown }
        if let code = rules.ethnicity.lookup(value, scratch: scratch) { return Ethnicity(rawValue: code) ?? .unknown }
        if rules.pipeline.ethnicityNHSCodes, let group = Self.nhsEthnicCategory(value) { return group }
        if !isMissing(.ethnicity, value) { countUnmapped(.ethnicity, value) }
        return .unknown
    }

    /// NHS Data Dictionary ETHNIC CATEGORY: a code of one or two characters whose first
    /// letter gives the group (A-C White, D-G Mixed, H-L Asian, M-P Black, R-S Other,
    /// Z Unknown), or `99` for not known.
    public static func nhsEthnicCategory(_ value: UnsafeRawBufferPointer) -> Ethnicity? {
        guard value.count >= 1 && value.count <= 2 else { return nil }
        if value.count == 2 && value[0] == UInt8(ascii: "9") && value[1] == UInt8(ascii: "9") { return .unknown }
        var first = value[0]
        if first >= 0x61 && first <= 0x7A { first -= 0x20 }
        if value.count == 2 {
            let second = value[1]
            let alnum = (second >= 0x30 && second <= 0x39) || (second | 0x20 >= 0x61 && second | 0x20 <= 0x7A)
            guard alnum else { return nil }
        }
        switch first {
        case UInt8(ascii: "A")...UInt8(ascii: "C"): return .white
        case UInt8(ascii: "D")...UInt8(ascii: "G"): return .mixed
        case UInt8(ascii: "H")...UInt8(ascii: "L"): return .asian
        case UInt8(ascii: "M")...UInt8(ascii: "P"): return .black
        case UInt8(ascii: "R")...UInt8(ascii: "S"): return .other
        case UInt8(ascii: "Z"): return .unknown
        default: return nil
        }
    }

    /// The reasons' bit set. A missing value, as the whole field or as one of its parts,
    /// gives no reason and is not unmapped (a whole-field match first, so a missing value
    /// holding a separator, such as `N/K` with `/`, still matches).
    private func reasons(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        if isMissing(.referralReasons, Padding.trimmed(bytes)) { return 0 }
        var mask: UInt32 = 0
        var start = 0
        let separators = rules.separators
        @inline(__always) func isSeparator(_ byte: UInt8) -> Bool {
            byte < 64 ? separators.low & (1 << UInt64(byte)) != 0 : byte < 128 && separators.high & (1 << UInt64(byte - 64)) != 0
        }
        for i in 0...bytes.count {
            if i == bytes.count || isSeparator(bytes[i]) {
                let part = Padding.trimmed(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
                if !part.isEmpty {
                    if let code = rules.reasons.lookup(part, scratch: scratch) {
                        mask |= 1 << UInt32(code)
                    } else if !isMissing(.referralReasons, part) {
                        unmappedReasonsNoted += 1
                        countUnmapped(.referralReasons, part)
                    }
                }
                start = i + 1
            }
        }
        return mask
    }

    private func identity(_ row: CSVRow) -> RowIdentity {
        let id = Padding.trimmed(row[column(.referralID)])
        var content = Hash64(seed: 0x5350_5258)
        for position in columns.indices where columns[position] >= 0 {
            content.add(Padding.trimmed(row[columns[position]]))
            content.addSeparator()
        }
        // Declared dimensions too: two rows with one id that differ there are counted apart.
        for column in dimensionColumns {
            content.add(Padding.trimmed(row[column]))
            content.addSeparator()
        }
        var low = Hash64(seed: 1)
        low.add(id)
        var high = Hash64(seed: 0x9E37_79B9_7F4A_7C15)
        high.add(id)
        return RowIdentity(idLow: low.finalValue, idHigh: high.finalValue, content: content.finalValue)
    }

    // MARK: helpers

    /// A count field as read: absent, not a whole number, a whole number past its
    /// plausibility bound (``PlausibleCount``), or a value.
    enum ParsedCount: Equatable {
        case absent, invalid, implausible, value(Int)

        /// The value, -1 when absent (and for a value that quarantines the row).
        var value: Int {
            if case .value(let v) = self { return v }
            return -1
        }

        /// Why the value quarantines its referral, `nil` when it does not.
        func reason(_ field: CanonicalField) -> QuarantineReason? {
            switch self {
            case .absent, .value: nil
            case .invalid: .count(field, implausible: false)
            case .implausible: .count(field, implausible: true)
            }
        }
    }

    /// An optional whole number from 0 to `max` (digits only, no sign or decimals); digits
    /// only but more than `max`, however many, are implausible.
    static func parseCount(_ bytes: UnsafeRawBufferPointer, max: Int) -> ParsedCount {
        if bytes.isEmpty { return .absent }
        if let value = DecimalDigits.parse(bytes, maxDigits: 10) { return value <= max ? .value(value) : .implausible }
        return bytes.allSatisfy { DecimalDigits.value(of: $0) != nil } ? .implausible : .invalid
    }

    /// UTF-8 text without NUL bytes (a NUL is never text; it marks a corrupt export).
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var ascii = true
        for b in bytes where b >= 0x80 || b == 0 {
            if b == 0 { return false }
            ascii = false
            break
        }
        if ascii { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }
}
