#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dense symmetric matrix, row-major, small (a model has tens of coefficients).
struct SymmetricMatrix: Sendable, Equatable {
    let size: Int
    var values: [Double]

    init(size: Int) {
        self.size = size
        values = Array(repeating: 0, count: size * size)
    }

    subscript(row: Int, column: Int) -> Double {
        get { values[row * size + column] }
        set { values[row * size + column] = newValue }
    }

    /// Copies the upper triangle into the lower one.
    mutating func symmetrise() {
        for i in 0..<size { for j in 0..<i { values[i * size + j] = values[j * size + i] } }
    }

    /// `self` scaled by `factor`.
    func scaled(_ factor: Double) -> SymmetricMatrix {
        var out = self
        for i in out.values.indices { out.values[i] *= factor }
        return out
    }

    /// `a · b · a` for symmetric `a` and `b` (the sandwich).
    static func sandwich(_ a: SymmetricMatrix, _ b: SymmetricMatrix) -> SymmetricMatrix {
        let n = a.size
        var ab = Array(repeating: 0.0, count: n * n)
        for i in 0..<n {
            for k in 0..<n {
                let aik = a.values[i * n + k]
                if aik == 0 { continue }
                for j in 0..<n { ab[i * n + j] += aik * b.values[k * n + j] }
            }
        }
        var out = SymmetricMatrix(size: n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += ab[i * n + k] * a.values[k * n + j] }
                out.values[i * n + j] = sum
            }
        }
        out.symmetrise()
        return out
    }

    /// `vᵀ · self · v`.
    func quadraticForm(_ v: [Double]) -> Double {
        var sum = 0.0
        for i in 0..<size {
            var row = 0.0
            for j in 0..<size { row += values[i * size + j] * v[j] }
            sum += v[i] * row
        }
        return sum
    }
}

/// The Cholesky factor `L` (lower triangular, `A = L Lᵀ`) of a positive definite matrix.
struct Cholesky {
    let size: Int
    private var lower: [Double]

    /// Factorises `a`; returns the index of the first column that is (numerically) a
    /// linear combination of earlier ones when `a` is not positive definite.
    static func factor(_ a: SymmetricMatrix) -> Result<Cholesky, CollinearColumn> {
        let n = a.size
        var l = Array(repeating: 0.0, count: n * n)
        var largestDiagonal = 0.0
        for i in 0..<n { largestDiagonal = max(largestDiagonal, a[i, i]) }
        for j in 0..<n {
            var diagonal = a[j, j]
            for k in 0..<j { diagonal -= l[j * n + k] * l[j * n + k] }
            // Relative to the column's own scale: an indicator whose information is
            // all explained by earlier columns leaves (rounding-level) nothing.
            if !(diagonal > 1e-10 * max(a[j, j], 1e-300)) || !(largestDiagonal > 0) {
                return .failure(CollinearColumn(index: j))
            }
            let root = diagonal.squareRoot()
            l[j * n + j] = root
            for i in (j + 1)..<max(j + 1, n) {
                var sum = a[i, j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = sum / root
            }
        }
        return .success(Cholesky(size: n, lower: l))
    }

    struct CollinearColumn: Error { let index: Int }

    private init(size: Int, lower: [Double]) {
        self.size = size
        self.lower = lower
    }

    /// Solves `A x = b`.
    func solve(_ b: [Double]) -> [Double] {
        let n = size
        var y = b
        for i in 0..<n {
            var sum = y[i]
            for k in 0..<i { sum -= lower[i * n + k] * y[k] }
            y[i] = sum / lower[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<max(i + 1, n) { sum -= lower[k * n + i] * y[k] }
            y[i] = sum / lower[i * n + i]
        }
        return y
    }

    /// `A⁻¹`.
    func inverse() -> SymmetricMatrix {
        var out = SymmetricMatrix(size: size)
        for j in 0..<size {
            var unit = Array(repeating: 0.0, count: size)
            unit[j] = 1
            let column = solve(unit)
            for i in 0..<size { out[i, j] = column[i] }
        }
        // Average the two triangles so the result is exactly symmetric.
        for i in 0..<size {
            for j in 0..<i {
                let mean = (out[i, j] + out[j, i]) / 2
                out[i, j] = mean
                out[j, i] = mean
            }
        }
        return out
    }
}

/// Special functions the fits need, accurate to a few units in the last place.
public enum SpecialFunctions {
    /// The digamma function ψ(x) for x > 0 (recurrence to x ≥ 10, then the asymptotic series).
    public static func digamma(_ x: Double) -> Double {
        precondition(x > 0, "digamma is used for positive arguments only")
        var x = x
        var result = 0.0
        while x < 10 {
            result -= 1 / x
            x += 1
        }
        let f = 1 / (x * x)
        // Bernoulli-number series: 1/12, 1/120, 1/252, 1/240, 1/132, 691/32760, 1/12.
        let series = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132 - f * (691.0 / 32760 - f / 12))))))
        return result + log(x) - 0.5 / x - series
    }

    /// The trigamma function ψ′(x) for x > 0.
    public static func trigamma(_ x: Double) -> Double {
        precondition(x > 0, "trigamma is used for positive arguments only")
        var x = x
        var result = 0.0
        while x < 10 {
            result += 1 / (x * x)
            x += 1
        }
        let f = 1 / (x * x)
        // 1/x + 1/(2x²) + Σ B₂ₖ / x^(2k+1): B = 1/6, -1/30, 1/42, -1/30, 5/66, -691/2730, 7/6.
        let series = (1 + f * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30 - f * (5.0 / 66 - f * (691.0 / 2730 - f * 7.0 / 6))))))) / x
        return result + series + f / 2
    }

    /// Two-sided p-value of a standard normal statistic: 2 Φ(−|z|).
    public static func twoSidedNormalP(_ z: Double) -> Double { erfc(abs(z) / 2.0.squareRoot()) }

    /// The 97.5th percentile of the standard normal, as R's `qnorm(0.975)`.
    public static let z975 = 1.959963984540054

    /// The logistic function 1 / (1 + e^−x), without overflow.
    @inline(__always)
    public static func logistic(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }
}
