import SPRXCore
import Testing

@Suite(.timeLimit(.minutes(10))) struct SplitMix64Tests {
    /// The first outputs from seed 0 as Vigna's reference `splitmix64.c` gives them
    /// (the published test vector: e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f).
    @Test func matchesTheReferenceImplementation() {
        var generator = SplitMix64(seed: 0)
        #expect([generator.next(), generator.next(), generator.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }
}
