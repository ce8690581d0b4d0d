import Foundation

/// A small export shaped like the second new-user trial's (a Welsh service's spreadsheet
/// export, /tmp/newuser2/make_export.py): a date of birth and no age, staff names, "N/K"
/// and its kin in every kind of column, a real status "Declined", Welsh practice codes
/// with "Not Known" and "Out of area", Welsh small areas only.
///
/// 80 rows, row i (0-based) built by the rules below; the counts are by hand from them:
/// - Contacted (Y/N): Y for i < 40 (40), N for 40..<60 (20), N/K for 60..<72 (12), "Not known" for 72..<80 (8).
/// - Referral Status: Closed for i < 30 (30), Open 30..<55 (25), Declined 55..<72 (17), Unknown 72..<80 (8).
/// - Link Worker: i % 4: Ceri Thomas, Rhian Evans, Dafydd Jones, Unallocated (20 each).
/// - Contact Lead (a header naming no role): i % 2: Gwen Morgan, Aled Price (40 each).
/// - GP Practice Code: W97003 for i < 30 (30), W97005 30..<60 (30), Not Known 60..<70 (10), Out of area 70..<80 (10).
/// - LSOA Code: N/K when i % 8 == 0 (10), W01001694 (Cardiff) for every odd i (40),
///   W01001695 (Cardiff) for the other even i (30): every code Welsh.
/// - Referred From: Self when i % 3 == 0 (27), else GP (53).
/// - Primary Need: Anxiety i < 40 (40), Housing 40..<70 (30), Not Known 70..<80 (10).
/// - Sessions Attended: 1 for i < 40 (40), 2 for 40..<70 (30), Not Known 70..<80 (10).
/// - Unpaid Carer: Yes i < 30 (30), No 30..<70 (40), Don't know 70..<80 (10).
/// - Gender: F i < 40 (40), M 40..<70 (30), Prefer not to say 70..<80 (10).
/// - Client DOB: DD/MM/19YY with DD = MM = 10 + i % 9 and YY = 50 + i % 40 (never to be printed).
public enum WelshExport {
    public static let header =
        "Referral Ref,Client ID,Referral Date,Client DOB,Gender,LSOA Code,GP Practice Code,Referred From,Primary Need,Contacted (Y/N),Sessions Attended,Referral Status,Link Worker,Contact Lead,Unpaid Carer"
    /// The people's names the rows hold (none may reach a draft, stderr or an output).
    public static let names = ["Ceri Thomas", "Rhian Evans", "Dafydd Jones", "Gwen Morgan", "Aled Price"]

    public static func row(_ i: Int) -> String {
        func pick(_ bounds: [(Int, String)]) -> String { bounds.first { i < $0.0 }!.1 }
        let contacted = pick([(40, "Y"), (60, "N"), (72, "N/K"), (80, "Not known")])
        let status = pick([(30, "Closed"), (55, "Open"), (72, "Declined"), (80, "Unknown")])
        let worker = ["Ceri Thomas", "Rhian Evans", "Dafydd Jones", "Unallocated"][i % 4]
        let lead = ["Gwen Morgan", "Aled Price"][i % 2]
        let practice = pick([(30, "W97003"), (60, "W97005"), (70, "Not Known"), (80, "Out of area")])
        let area = i % 8 == 0 ? "N/K" : i % 2 == 1 ? "W01001694" : "W01001695"
        let need = pick([(40, "Anxiety"), (70, "Housing"), (80, "Not Known")])
        let sessions = pick([(40, "1"), (70, "2"), (80, "Not Known")])
        let carer = pick([(30, "Yes"), (70, "No"), (80, "Don't know")])
        let sex = pick([(40, "F"), (70, "M"), (80, "Prefer not to say")])
        let dob = String(format: "%02d/%02d/19%02d", 10 + i % 9, 10 + i % 9, 50 + i % 40)
        let date = String(format: "2024-%02d-%02d", 1 + i % 12, 1 + i % 28)
        return [
            "SPR-\(1000 + i)", "CL\(500 + i / 2)", date, dob, sex, area, practice, i % 3 == 0 ? "Self" : "GP", need, contacted, sessions, status,
            worker, lead, carer,
        ].joined(separator: ",")
    }

    public static func text() -> String { ([header] + (0..<80).map(row)).joined(separator: "\n") + "\n" }
}
