import Foundation
import SPRXTestSupport
import Testing

@testable import SPRXCore

@Suite(.timeLimit(.minutes(10))) struct SHA256Tests {
    // FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf" / "SHA2_Additional.pdf").
    @Test func nistVectors() {
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            SHA256.hex(of: [UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func streamingInPiecesMatchesWhole() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for piece in [1, 3, 63, 64, 65, 999] {
            var h = SHA256()
            var i = 0
            while i < data.count {
                let j = min(data.count, i + piece)
                h.update(data[i..<j])
                i = j
            }
            #expect(h.finalizeHex() == SHA256.hex(of: data))
        }
    }
}

@Suite(.timeLimit(.minutes(10))) struct CSVTextTests {
    @Test func quotingAndFormulaNeutralisation() {
        #expect(CSVText.text("plain") == "plain")
        #expect(CSVText.text("a,b") == "\"a,b\"")
        #expect(CSVText.text("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVText.text("=SUM(A1)") == "'=SUM(A1)")
        #expect(CSVText.text("-2+3") == "'-2+3")
        #expect(CSVText.text("@x,y") == "\"'@x,y\"")
    }

    @Test func decimals() {
        #expect(DecimalText.format(2.5, places: 0) == "3")
        #expect(DecimalText.format(0.12345, places: 3) == "0.123")
        #expect(DecimalText.format(99.9996, places: 3) == "100.000")
        #expect(DecimalText.format(-0.0004, places: 3) == "0.000")
        #expect(DecimalText.format(-1.25, places: 1) == "-1.3")
        #expect(DecimalText.format(0.05, places: 3) == "0.050")
    }

    @Test func nationFromAreaCode() {
        func nation(_ s: String) -> Nation { Array(s.utf8).withUnsafeBytes { Nation.of(areaCode: $0) } }
        #expect(nation("E01021988") == .england)
        #expect(nation("W01000240") == .wales)
        #expect(nation("S01010891") == .scotland)
        #expect(nation("95ZZ06W1") == .northernIreland)
        #expect(nation("E02000001") == .unknown)
        #expect(nation("") == .unknown)
    }
}

@Suite(.timeLimit(.minutes(10))) struct FlatTableTests {
    /// Expected values come from Swift's `Dictionary` fed the same operations.
    @Test func agreesWithDictionaryUnderRandomUpdatesAndGrowth() {
        var rng = SeededRandom()
        var table = FlatTable<UInt64, Int64>(initial: 0)
        var reference: [UInt64: Int64] = [:]
        for _ in 0..<50_000 {
            // Few distinct keys at first, then many, so the table grows several times.
            let key = UInt64.random(in: 0..<20_000, using: &rng) << 7
            let delta = Int64.random(in: -3...5, using: &rng)
            table.update(key) { $0 += delta }
            reference[key, default: 0] += delta
        }
        #expect(table.count == reference.count, "\(rng)")
        for (key, value) in reference { #expect(table[key] == value, "\(rng)") }
        #expect(table[UInt64(1)] == nil)
        let kept = table.filter { $1 != 0 }
        #expect(kept.count == reference.values.filter { $0 != 0 }.count)
        #expect(Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) }) == reference.filter { $0.value != 0 })
    }

    /// Emptied in place and filled again with other keys, a table holds exactly the new
    /// ones (the reference: a `Dictionary` of the second round only) at the same capacity.
    @Test func emptiedInPlaceHoldsOnlyWhatComesAfter() {
        var rng = SeededRandom()
        var table = FlatTable<UInt64, Int64>(initial: 0)
        for _ in 0..<5_000 { table.update(UInt64.random(in: 0..<4_000, using: &rng)) { $0 += 1 } }
        let capacity = table.slots.count
        table.removeAllKeepingCapacity()
        #expect(table.isEmpty && table.slots.count == capacity && Array(table).isEmpty)
        var reference: [UInt64: Int64] = [:]
        for _ in 0..<3_000 {
            let key = UInt64.random(in: 2_000..<6_000, using: &rng)
            table.update(key) { $0 += 2 }
            reference[key, default: 0] += 2
        }
        #expect(Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0.value) }) == reference, "\(rng)")
        #expect(table.slots.count == capacity)
    }

    @Test func copyingIntoASmallerTableInSlotOrderKeepsEveryEntry() {
        // Low-bit indexing makes this quadratic (long probe runs); top-bit indexing must not.
        var big = FlatTable<UInt32, Int64>(initial: 0, minimumCapacity: 1 << 17)
        for key in 0..<UInt32(60_000) { big.update(key &* 2_654_435_761 & 0x7FFF_FFFF) { $0 = 1 } }
        var small = FlatTable<UInt32, Int64>(initial: 0)
        for (key, value) in big { small.update(key) { $0 = value } }
        #expect(small == big)
    }

    @Test func vacantKeysAreImpossibleKeys() {
        #expect(ShortCode.vacant != ShortCode())
        #expect(ShortCode.vacant.count > ShortCode.capacity)
    }

    @Test func codableRoundTripIsOrderIndependent() throws {
        var a = FlatTable<UInt32, Int64>(initial: 0)
        var b = FlatTable<UInt32, Int64>(initial: 0, minimumCapacity: 1000)
        for k in [5, 1, 9, 3] as [UInt32] { a.update(k) { $0 = Int64(k) * 10 } }
        for k in [3, 9, 1, 5] as [UInt32] { b.update(k) { $0 = Int64(k) * 10 } }
        let encoder = JSONEncoder()
        #expect(try encoder.encode(a) == encoder.encode(b))
        let decoded = try JSONDecoder().decode(FlatTable<UInt32, Int64>.self, from: encoder.encode(a))
        #expect(decoded == a)
    }
}

@Suite(.timeLimit(.minutes(10))) struct ArrayPoolTests {
    /// An array handed back comes out empty with its capacity; the pool keeps at most
    /// its limit; an array still held elsewhere is never written under its holder (the
    /// holder's copy is compared with its contents by hand).
    @Test func reusesCapacityAndNeverWritesASharedArray() {
        let pool = ArrayPool<Int>(limit: 1)
        var first = Array(0..<1_000)
        let holder = first
        pool.give(&first)
        #expect(first.isEmpty)
        var other = [7]
        pool.give(&other)  // over the limit: dropped
        var reused = pool.take()
        #expect(reused.isEmpty && reused.capacity >= 1_000)
        reused.append(contentsOf: [5, 6])
        #expect(holder == Array(0..<1_000) && reused == [5, 6])
        #expect(pool.take().capacity == 0, "the second array was not kept")
    }
}

@Suite(.timeLimit(.minutes(10))) struct TableColumnIndexTests {
    /// Every column type's `index` is its position in `allCases` (the reference: the
    /// enumeration of `allCases` itself), for every case.
    @Test func indexIsThePositionInAllCases() {
        func check<C: TableColumn>(_: C.Type) {
            for (position, column) in C.allCases.enumerated() { #expect(column.index == position, "\(C.self).\(column)") }
        }
        check(ShareColumn.self)
        check(PathwayColumn.self)
        check(RateColumn.self)
        check(InequalityColumn.self)
        check(TrendColumn.self)
        check(OrganisationColumn.self)
        check(ProvisionColumn.self)
        check(ProvisionGradientColumn.self)
        check(SPCColumn.self)
        check(ModelColumn.self)
        check(DataQualityColumn.self)
        check(UnmappedLabelColumn.self)
    }
}

@Suite(.timeLimit(.minutes(10))) struct SignificantCellTests {
    /// A `.significant` cell's text against Foundation's `String(format: "%.Ng")`, the
    /// reference it replaced: 5,000 random values over 1e-12 to 1e12, both signs, 1 to 8 digits.
    @Test func generalFormatMatchesFoundation() {
        var random = SeededRandom()
        for _ in 0..<5_000 {
            let magnitude = Double(Int(random.next() % 25) - 12)
            let sign: Double = random.next() % 2 == 0 ? 1 : -1
            let value = sign * Double(random.next() % 10_000_000) / 1_000_000 * pow(10, magnitude)
            let digits = 1 + Int(random.next() % 8)
            #expect(Cell.general(value, digits: digits) == String(format: "%.\(digits)g", value), "\(value) \(digits) \(random)")
        }
    }
}

@Suite(.timeLimit(.minutes(10))) struct ConcurrentMapTests {
    /// The results are a plain `map`'s (the reference), in index order, for any number
    /// of threads and of pieces, none included.
    @Test func resultsInIndexOrder() {
        for count in [0, 1, 2, 7, 50] {
            for threads in [1, 2, 3, 8] {
                #expect(concurrentMap(count: count, threads: threads) { $0 * $0 + 1 } == (0..<count).map { $0 * $0 + 1 }, "\(count) on \(threads)")
            }
        }
    }
}
