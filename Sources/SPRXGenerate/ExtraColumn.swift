import Foundation
import SPRXCore

/// A categorical column `sprx generate --extra-column` adds to every row, such as a
/// disability status a pipeline declares as a dimension.
///
/// Written as `HEADER=VALUE:WEIGHT,VALUE:WEIGHT,…` (`"Disability status=Y:3,N:5,Unknown:1,
/// Not stated:1"`): the header, then each value with its relative weight (a value may be
/// empty, `:1`, and may hold `:`, since the weight follows the last one). The first value
/// is the one the referral's other fields make likelier (``exposedOdds``), so a model on
/// the column finds an effect: its weight is multiplied by ``nonMedicalFactor`` for a
/// referral by a non-medical route and by ``olderFactor`` for a person aged 65 or over.
/// Values are drawn from a stream of their own (``streamSalt``), so the other columns are
/// the same bytes as without the option.
public struct ExtraColumn: Sendable, Equatable {
    /// How much likelier the first value is for a referral by a non-medical route.
    public static let nonMedicalFactor = 2.5
    /// How much likelier the first value is for a person aged 65 or over.
    public static let olderFactor = 1.5
    /// Mixed into the seed for the extra columns' own random stream.
    static let streamSalt: UInt64 = 0x6578_7472_6163_6F6C  // "extracol"

    /// The header name written in the first line.
    public var header: String
    /// The values, in the order given.
    public var values: [String]
    /// Each value's relative weight (positive, finite).
    public var weights: [Double]

    public init(header: String, values: [String], weights: [Double]) {
        self.header = header
        self.values = values
        self.weights = weights
    }

    /// Reads `HEADER=VALUE:WEIGHT,…`; a usage error says what is wrong with it.
    public static func parse(_ text: String) throws -> ExtraColumn {
        func refuse(_ why: String) -> SPRXError {
            SPRXError(.usage, "--extra-column \(why) (write it as HEADER=VALUE:WEIGHT,VALUE:WEIGHT, e.g. \"Disability status=Y:3,N:5,Unknown:1\")")
        }
        guard let equals = text.firstIndex(of: "=") else { throw refuse("has no '=' after its header name") }
        let header = text[..<equals].trimmingCharacters(in: .whitespaces)
        guard !header.isEmpty else { throw refuse("has an empty header name") }
        guard header.allSatisfy({ !$0.isNewline && $0 != "\"" && $0 != "," }) else {
            throw refuse("has a header name with a comma, quote or line end")
        }
        var values: [String] = []
        var weights: [Double] = []
        for (index, item) in text[text.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            guard let colon = item.lastIndex(of: ":") else { throw refuse("value \(index + 1) has no ':WEIGHT'") }
            let value = String(item[..<colon]).trimmingCharacters(in: .whitespaces)
            guard let weight = Double(item[item.index(after: colon)...].trimmingCharacters(in: .whitespaces)), weight.isFinite, weight > 0 else {
                throw refuse("value \(index + 1) has a weight that is not a positive number")
            }
            guard value.allSatisfy({ !$0.isNewline && $0 != "\"" }) else { throw refuse("value \(index + 1) has a quote or line end") }
            guard !values.contains(value) else { throw refuse("lists value \(index + 1) twice") }
            values.append(value)
            weights.append(weight)
        }
        guard !values.isEmpty else { throw refuse("has no values") }
        return ExtraColumn(header: header, values: values, weights: weights)
    }

    /// Draws one referral's value: the first value's weight scaled by ``exposedOdds(nonMedical:age:)``.
    func draw(_ rng: inout SplitMix64, nonMedical: Bool, age: Int) -> String {
        var scaled = weights
        scaled[0] *= Self.exposedOdds(nonMedical: nonMedical, age: age)
        return rng.pick(values, weights: scaled)
    }

    /// The factor on the first value's weight for a referral's route and the person's age.
    public static func exposedOdds(nonMedical: Bool, age: Int) -> Double {
        (nonMedical ? nonMedicalFactor : 1) * (age >= 65 ? olderFactor : 1)
    }
}
