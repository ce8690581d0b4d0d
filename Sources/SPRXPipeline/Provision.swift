/// Link worker provision per primary care network (England) as the four NHS England /
/// OHID files give it: per PCN its link worker FTE per census date and its registered
/// patients per extract; per practice its PCN and list size in the latest extract and
/// its IMD 2019 score.
///
/// Design note: the values are kept as published (FTE as summed by the file, never
/// estimated for a month without a return; patients only at the extracts published).
/// What the tables derive from them (nearest extract, network score, quintiles) is
/// computed here once, so the tables and the tests read one answer.
public struct ProvisionData: Sendable, Equatable {
    /// One primary care network.
    public struct Network: Sendable, Equatable {
        /// Its name, from the latest-dated row that names it.
        public var name: String
        /// Link worker FTE (`splw_fte`) by census date; a date without a return is absent.
        public var fte: [Day: Double]
        /// Registered patients by extract date; an extract without the network is absent.
        public var registeredPatients: [Day: Int64]

        public init(name: String, fte: [Day: Double] = [:], registeredPatients: [Day: Int64] = [:]) {
            self.name = name
            self.fte = fte
            self.registeredPatients = registeredPatients
        }
    }

    /// One GP practice of the latest practice extract.
    public struct Practice: Sendable, Equatable {
        /// Its network's code; `nil` for a practice in no network (`U`, "Unallocated").
        public var network: String?
        /// Its registered patients at that extract.
        public var registeredPatients: Int64
        /// Its IMD 2019 score (higher = more deprived); `nil` when the scores file has none.
        public var imdScore: Double?

        public init(network: String?, registeredPatients: Int64, imdScore: Double?) {
            self.network = network
            self.registeredPatients = registeredPatients
            self.imdScore = imdScore
        }
    }

    /// A network's deprivation: the list-size-weighted mean of its member practices'
    /// scores, and the patients the score covers.
    public struct NetworkDeprivation: Sendable, Equatable {
        public var score: Double
        /// Patients of member practices with a score, and of all member practices.
        public var scoredPatients: Int64
        public var patients: Int64
        /// 1 = the most deprived fifth of scored networks, 5 = the least.
        public var quintile: Int
    }

    /// Networks by code (upper-case, as published).
    public var networks: [String: Network]
    /// Practices of the latest practice extract by code (upper-case).
    public var practices: [String: Practice]
    /// Every census date of the workforce file, ascending.
    public var censusDates: [Day]
    /// Every registration extract date, ascending.
    public var extractDates: [Day]
    /// The practice extract the membership, list sizes and scores are from.
    public var practiceExtract: Day
    /// The four files as read, for the manifest.
    public var files: [ReferenceFileInfo]

    /// An extract counts for a census date when it is at most this many days away.
    public static let extractWindowDays: Int32 = 31

    public init(
        networks: [String: Network], practices: [String: Practice], censusDates: [Day], extractDates: [Day], practiceExtract: Day,
        files: [ReferenceFileInfo] = []
    ) {
        self.networks = networks
        self.practices = practices
        self.censusDates = censusDates
        self.extractDates = extractDates
        self.practiceExtract = practiceExtract
        self.files = files
    }

    /// The registration extract for a census date: the nearest within
    /// ``extractWindowDays`` days, the later of two equally near; `nil` when none is.
    public func extract(for census: Day) -> Day? {
        var best: Day? = nil
        for date in extractDates {
            let distance = abs(date.daysSinceEpoch - census.daysSinceEpoch)
            guard distance <= Self.extractWindowDays else { continue }
            if let current = best {
                let bestDistance = abs(current.daysSinceEpoch - census.daysSinceEpoch)
                if distance < bestDistance || (distance == bestDistance && date > current) { best = date }
            } else {
                best = date
            }
        }
        return best
    }

    /// Each network's deprivation, for every network of the latest practice extract with
    /// at least one scored practice.
    ///
    /// The score is Σ(list size × score) / Σ(list size) over the member practices with a
    /// score (those without are left out of both sums). Quintiles rank every such network
    /// by score, highest (most deprived) first, ties by code, and cut the ranking into
    /// five equal-count fifths: rank r of n (from 0) is in fifth ⌊5r / n⌋ + 1.
    public var networkDeprivation: [String: NetworkDeprivation] {
        var weighted: [String: (sum: Double, scored: Int64, all: Int64)] = [:]
        // In code order, so the sums (and the bytes published) never depend on hashing.
        for code in practices.keys.sorted() {
            // safe: iterating the dictionary's own keys
            let practice = practices[code]!
            guard let network = practice.network else { continue }
            var entry = weighted[network, default: (0, 0, 0)]
            entry.all += practice.registeredPatients
            if let score = practice.imdScore {
                entry.sum += Double(practice.registeredPatients) * score
                entry.scored += practice.registeredPatients
            }
            weighted[network] = entry
        }
        let scored = weighted.filter { $0.value.scored > 0 }.map { (code: $0.key, score: $0.value.sum / Double($0.value.scored)) }
        let ranked = scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.code < $1.code }
        var result: [String: NetworkDeprivation] = [:]
        for (rank, network) in ranked.enumerated() {
            // safe: ranked is made from weighted's entries
            let entry = weighted[network.code]!
            result[network.code] = NetworkDeprivation(
                score: network.score, scoredPatients: entry.scored, patients: entry.all, quintile: 5 * rank / ranked.count + 1)
        }
        return result
    }
}
