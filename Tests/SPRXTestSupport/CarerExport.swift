import Foundation

/// An export of 200 referrals with one categorical column no canonical field maps
/// ("Carer"), one of free text ("Case note") and one of case-worker codes ("Keyworker").
///
/// Counted by hand from the rule below: Carer is "Y" when i % 4 == 0 (50), "N" when
/// i % 4 is 1 or 2 (100), "Unknown" when i % 4 == 3 (48), except i = 3 and 7, a free-text
/// value seen twice (ZQXRARE…). Referral source is GP for i < 120, Self after.
/// Case note is "No notes" when i % 10 == 0 (20), else a note of its own (ZQXNOTE i …).
/// Keyworker is KW001 to KW009 (i % 9), each 22 or 23 times. Shared by the inspect
/// tests and the end-to-end test that runs the draft.
public enum CarerExport {
    public static let header = "Referral ID,Client ID,Referral Date,Age,Gender,Referral Source,Carer,Case note,Keyworker"
    public static func carer(_ i: Int) -> String {
        if i == 3 || i == 7 { return "ZQXRARE cares for her mum" }
        return ["Y", "N", "N", "Unknown"][i % 4]
    }
    public static func text() -> String {
        var rows = [header]
        for i in 0..<200 {
            let note = i % 10 == 0 ? "No notes" : "ZQXNOTE \(i) spoke to daughter about rent"
            let date = String(format: "%02d/%02d/2024", 1 + i % 28, 1 + i % 12)
            rows.append(
                "R\(10_000 + i),P\(20_000 + i / 2),\(date),\(20 + i % 60),\(i % 2 == 0 ? "Female" : "Male"),\(i < 120 ? "GP" : "Self"),\(carer(i)),\(note),KW00\(1 + i % 9)"
            )
        }
        return rows.joined(separator: "\n") + "\n"
    }
}
