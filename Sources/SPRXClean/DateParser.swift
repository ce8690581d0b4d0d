import SPRXCore
import SPRXPipeline

/// Referral dates in the contract's three forms.
public enum DateParser {
    /// Parses `YYYY-MM-DD`, `D/M/YYYY` (one or two digits), or an ISO 8601 timestamp
    /// (`YYYY-MM-DDTHH:MM…` or with a space) using its date; `nil` if none fits.
    public static func parse(_ bytes: UnsafeRawBufferPointer, forms: [DateForm]) -> Day? {
        let n = bytes.count
        @inline(__always) func digit(_ i: Int) -> Int? {
            let b = bytes[i]
            return b >= 0x30 && b <= 0x39 ? Int(b - 0x30) : nil
        }
        @inline(__always) func number(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<(from + count) {
                guard let d = digit(i) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        if n >= 10 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-") {
            guard let y = number(0, 4), let m = number(5, 2), let d = number(8, 2) else { return nil }
            if n == 10 { return forms.contains(.iso) ? Day(year: y, month: m, day: d) : nil }
            guard forms.contains(.timestamp), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "t"),
                isTime(UnsafeRawBufferPointer(rebasing: bytes[11...]))
            else { return nil }
            return Day(year: y, month: m, day: d)
        }
        // D/M/YYYY, optionally followed by a time when timestamps are accepted.
        guard forms.contains(.dayMonthYear) else { return nil }
        var parts: [Int] = []
        var value = 0
        var digits = 0
        var i = 0
        while i < n {
            let b = bytes[i]
            if b >= 0x30 && b <= 0x39 {
                value = value * 10 + Int(b - 0x30)
                digits += 1
                guard digits <= 4 else { return nil }
            } else if b == UInt8(ascii: "/") && parts.count < 2 {
                guard digits >= 1 && digits <= 2 else { return nil }
                parts.append(value)
                value = 0
                digits = 0
            } else {
                break
            }
            i += 1
        }
        guard parts.count == 2, digits == 4 else { return nil }
        if i < n {
            guard forms.contains(.timestamp), bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "T"),
                isTime(UnsafeRawBufferPointer(rebasing: bytes[(i + 1)...]))
            else { return nil }
        }
        return Day(year: value, month: parts[1], day: parts[0])
    }

    /// `HH:MM`, optionally `:SS`, fractions and a zone (`Z`, `±HH:MM`).
    static func isTime(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 5 else { return false }
        func d(_ i: Int) -> Bool { bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        guard d(0), d(1), bytes[2] == UInt8(ascii: ":"), d(3), d(4) else { return false }
        let hour = Int(bytes[0] - 0x30) * 10 + Int(bytes[1] - 0x30)
        let minute = Int(bytes[3] - 0x30) * 10 + Int(bytes[4] - 0x30)
        guard hour <= 24, minute <= 59 else { return false }
        for b in bytes[5...] {
            let ok = (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ":") || b == UInt8(ascii: ".") || b == UInt8(ascii: "Z")
                || b == UInt8(ascii: "z") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
            if !ok { return false }
        }
        return true
    }
}
