import SPRXCore
import SPRXEnrich
import SPRXPipeline

/// What one column's values look like, gathered row by row with bounded memory.
///
/// Labels are kept normalised as the label matcher compares them (lower-cased, spaces
/// collapsed), each with the first spelling seen and the counts of a few other spellings
/// (so a draft can name a level as most often written), at most `maxDistinct` of them; later
/// new labels are only counted (``overflowCount``). No value is kept beyond that table,
/// and the table is printed only for categorical fields, under the privacy rules of
/// ``InspectionPrivacy``.
public struct ColumnProfile: Sendable {
    /// A distinct label: how often it occurs, its first spelling, and how often other
    /// spellings of it (the label matcher treats them alike) occur.
    public struct LabelCount: Sendable {
        public var count: Int
        public var spelling: String
        /// Spellings other than ``spelling`` with their counts, at most
        /// ``ColumnProfile/maxOtherSpellings`` of them (later ones count as ``spelling``).
        public var otherSpellings: [String: Int] = [:]

        public init(count: Int, spelling: String) {
            self.count = count
            self.spelling = spelling
        }

        /// The spelling seen most often (ties: the first in code-point order).
        public var commonSpelling: String {
            var best = (spelling, count - otherSpellings.values.reduce(0, +))
            for (other, n) in otherSpellings where n > best.1 || (n == best.1 && other < best.0) { best = (other, n) }
            return best.0
        }

        /// Counts `n` more values spelt `other` (the total ``count`` is the caller's).
        mutating func noteSpelling(_ other: String, _ n: Int) {
            guard other != spelling else { return }
            if otherSpellings[other] != nil || otherSpellings.count < ColumnProfile.maxOtherSpellings { otherSpellings[other, default: 0] += n }
        }
    }

    /// Other spellings kept per label (a bound on memory: a label is rarely spelt more ways).
    public static let maxOtherSpellings = 8

    public private(set) var values = 0
    public private(set) var empty = 0
    /// Normalised label → count and first spelling.
    public private(set) var labels: [String: LabelCount] = [:]
    /// Values whose label was new after the table was full.
    public private(set) var overflowCount = 0
    public private(set) var longestBytes = 0
    /// Whole numbers (optionally signed) and their range.
    public private(set) var integers = 0
    public private(set) var minimum: Int?
    public private(set) var maximum: Int?
    /// Non-empty values that are not whole numbers.
    public private(set) var nonIntegers = 0
    /// Values (within the date window) each date candidate parses, and those only it parses.
    public private(set) var dateParsed: [DateCandidate: Int] = [:]
    public private(set) var dateExclusive: [DateCandidate: Int] = [:]
    /// Values some date candidate parses, within the date window.
    public private(set) var datesInWindow = 0
    /// Values whose first characters name a nation's small-area code (`E01` …, `95`).
    public private(set) var areaNation = [Int](repeating: 0, count: Nation.known.count)
    /// Of those, the values the nation's deprivation index lists (when a reference was loaded).
    public private(set) var areaInIndex = [Int](repeating: 0, count: Nation.known.count)
    /// Area codes per local authority (index into ``AreaAuthorities/authorities``).
    public private(set) var authorityCounts: [Int32: Int] = [:]
    /// Values that are not UTF-8 (a run quarantines them, `invalid_encoding`, in a mapped column).
    public private(set) var notUTF8 = 0
    /// Values that are UTF-8 beyond ASCII (accents, symbols): evidence the file is UTF-8.
    public private(set) var utf8NonASCII = 0
    /// Values with letters and spaces (free text or labels).
    public private(set) var withSpaces = 0
    /// Non-empty values shaped like an identifier: at most 40 bytes of letters, digits,
    /// `-`, `_`, `/` or `.`, with at least one digit (a case number, not a word).
    public private(set) var idShaped = 0
    /// Hashes of the non-empty values while all are distinct (`nil` once one repeats or
    /// more than ``maxDistinctTracked`` were seen): whether a column can be an id.
    private var distinctHashes: Set<UInt64>? = []
    /// Whether some non-empty value was seen twice.
    public private(set) var repeats = false
    /// How many values' distinctness is tracked per column (a bound on memory: 8 bytes each).
    public static let maxDistinctTracked = 2_000_000

    let maxDistinct: Int
    let window: ClosedRange<Day>

    public init(maxDistinct: Int, window: ClosedRange<Day>) {
        self.maxDistinct = max(1, maxDistinct)
        self.window = window
    }

    /// Counts one value (the raw field bytes).
    public mutating func add(_ field: UnsafeRawBufferPointer, reference: ReferenceData? = nil, places: AreaAuthorities? = nil) {
        values += 1
        let value = Padding.trimmed(field)
        if value.isEmpty {
            empty += 1
            return
        }
        longestBytes = max(longestBytes, value.count)
        if value.contains(0x20) { withSpaces += 1 }
        if value.contains(where: { $0 >= 0x80 }) {
            if ExportSniff.isUTF8(Array(value), allowingCutEnd: false) { utf8NonASCII += 1 } else { notUTF8 += 1 }
        }
        countLabel(value)
        if Self.isIDShaped(value) { idShaped += 1 }
        noteDistinct(value)
        if let number = Self.wholeNumber(value) {
            integers += 1
            minimum = Swift.min(minimum ?? number, number)
            maximum = Swift.max(maximum ?? number, number)
        } else {
            nonIntegers += 1
        }
        var matched: DateCandidate?
        var matches = 0
        for candidate in DateCandidate.allCases {
            guard let day = candidate.parse(value), window.contains(day) else { continue }
            dateParsed[candidate, default: 0] += 1
            matched = candidate
            matches += 1
        }
        if matches > 0 { datesInWindow += 1 }
        if matches == 1, let matched { dateExclusive[matched, default: 0] += 1 }
        let nation = Nation.of(areaCode: value)
        if nation != .unknown, value.count >= 8, value.count <= 10 {
            areaNation[Int(nation.rawValue)] += 1
            if let code = ShortCode(normalising: value) {
                if let reference, let info = reference.info(code), info.decile > 0 { areaInIndex[Int(nation.rawValue)] += 1 }
                if let places, let authority = places.authority(of: code) { authorityCounts[authority, default: 0] += 1 }
            }
        }
    }

    private mutating func countLabel(_ value: UnsafeRawBufferPointer) {
        let cut = UnsafeRawBufferPointer(rebasing: value.prefix(LabelTable.maxLabelLength))
        let key = LabelTable.normalisedText(cut)
        if labels[key] != nil {
            // safe: checked non-nil on the line above
            labels[key]!.count += 1
            if !labels[key]!.spelling.utf8.elementsEqual(cut) { labels[key]!.noteSpelling(String(decoding: cut, as: UTF8.self), 1) }
        } else if labels.count < maxDistinct {
            labels[key] = LabelCount(count: 1, spelling: String(decoding: value.prefix(LabelTable.maxLabelLength), as: UTF8.self))
        } else {
            overflowCount += 1
        }
    }

    private mutating func noteDistinct(_ value: UnsafeRawBufferPointer) {
        guard distinctHashes != nil else { return }
        // FNV-1a over the bytes, cased as the value is (ids compare exactly).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in value { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        // safe: the guard at the top returns when distinctHashes is nil
        if !distinctHashes!.insert(hash).inserted {
            repeats = true
            distinctHashes = nil
            // safe: set on the line above (the nil branch is the other arm)
        } else if distinctHashes!.count > Self.maxDistinctTracked {
            distinctHashes = nil
        }
    }

    /// Whether every non-empty value seen was different (`false` when one repeats, or when
    /// too many were seen to tell).
    public var allDistinct: Bool { !repeats && distinctHashes != nil && nonEmpty > 0 }

    /// Whether `value` is shaped like an identifier (see ``idShaped``).
    static func isIDShaped(_ value: UnsafeRawBufferPointer) -> Bool {
        guard value.count <= 40 else { return false }
        var digit = false
        for b in value {
            if b >= 0x30 && b <= 0x39 { digit = true; continue }
            let lower = b | 0x20
            guard (lower >= 0x61 && lower <= 0x7A) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: "/") || b == UInt8(ascii: ".")
            else { return false }
        }
        return digit
    }

    /// A whole number of at most 12 digits, optionally with a leading minus.
    static func wholeNumber(_ value: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        var negative = false
        if value.first == UInt8(ascii: "-") { negative = true; i = 1 }
        guard let v = DecimalDigits.parse(UnsafeRawBufferPointer(rebasing: value[i...]), maxDigits: 12) else { return nil }
        return negative ? -v : v
    }

    /// Non-empty values.
    public var nonEmpty: Int { values - empty }
    /// Distinct labels kept (a lower bound when ``overflowCount`` > 0).
    public var distinct: Int { labels.count }
    /// Share of non-empty values that `count` is.
    public func share(_ count: Int) -> Double { nonEmpty == 0 ? 0 : Double(count) / Double(nonEmpty) }
    /// The date formats a pipeline should list for this column, best first.
    public var chosenDateFormats: [DateCandidate] { DateCandidate.choose(parsed: dateParsed, exclusive: dateExclusive) }
    /// Values shaped like a nation's small-area code.
    public var areaLike: Int { areaNation.reduce(0, +) }

    /// Merges the profile of the same column in another file.
    public mutating func merge(_ other: ColumnProfile) {
        values += other.values
        empty += other.empty
        // In key order, so which labels are kept past the limit is the same on every run.
        for (key, label) in other.labels.sorted(by: { $0.key < $1.key }) {
            if labels[key] != nil {
                // safe: checked non-nil on the line above
                labels[key]!.count += label.count
                labels[key]!.noteSpelling(label.spelling, label.count - label.otherSpellings.values.reduce(0, +))
                for (other, n) in label.otherSpellings.sorted(by: { $0.key < $1.key }) { labels[key]!.noteSpelling(other, n) }
            } else if labels.count < maxDistinct {
                labels[key] = label
            } else {
                overflowCount += label.count
            }
        }
        overflowCount += other.overflowCount
        longestBytes = max(longestBytes, other.longestBytes)
        integers += other.integers
        nonIntegers += other.nonIntegers
        if let m = other.minimum { minimum = Swift.min(minimum ?? m, m) }
        if let m = other.maximum { maximum = Swift.max(maximum ?? m, m) }
        for (k, v) in other.dateParsed { dateParsed[k, default: 0] += v }
        for (k, v) in other.dateExclusive { dateExclusive[k, default: 0] += v }
        datesInWindow += other.datesInWindow
        for i in areaNation.indices {
            areaNation[i] += other.areaNation[i]
            areaInIndex[i] += other.areaInIndex[i]
        }
        withSpaces += other.withSpaces
        for (k, v) in other.authorityCounts { authorityCounts[k, default: 0] += v }
        idShaped += other.idShaped
        // Across files: values of two files are not compared, so a repeat between them is
        // missed; the union of their hashes says it.
        if other.repeats { repeats = true }
        if let mine = distinctHashes, let theirs = other.distinctHashes, !repeats {
            let union = mine.union(theirs)
            if union.count < mine.count + theirs.count {
                repeats = true; distinctHashes = nil
            } else {
                distinctHashes = union.count > Self.maxDistinctTracked ? nil : union
            }
        } else {
            distinctHashes = nil
        }
        notUTF8 += other.notUTF8
        utf8NonASCII += other.utf8NonASCII
    }
}
