// RandomSubset: k distinct examples of n in random order, in O(k) time and memory, drawn so that
// they are exactly the first k of the seeded permutation `MiniBatches` would cut into batches.

/// The first `count` entries of `Array(0..<n).shuffled(using: &generator)`, without building the
/// permutation: a uniformly random `count`-subset of 0..<n in uniformly random order.
///
/// The standard library shuffles by a forward Fisher–Yates pass (step s swaps position s with a
/// position drawn by `Int.random(in: s..<n)`, written as s + `Int.random(in: 0..<n − s)`, while
/// more than one position remains), and each step fixes the entry at position s for good. So the
/// first `count` steps alone give the prefix, drawing the same integers in the same order; the
/// positions they displaced are remembered in a small table instead of an n-element array. A
/// mini-batch scheme seeded like `MiniBatches` therefore draws the same first batch.
func randomPrefixOfPermutation<G: RandomNumberGenerator>(count: Int, of n: Int, using generator: inout G) -> [Int] {
    check(count >= 0 && count <= n, "count \(count) must be in 0...\(n)")
    var prefix = [Int]()
    prefix.reserveCapacity(count)
    if count * 8 > n {
        // A large share of the permutation: the plain array is cheaper than hashing.
        var order = Array(0..<n)
        for step in 0..<count {
            let remaining = n - step
            if remaining > 1 {
                order.swapAt(step, step + Int.random(in: 0..<remaining, using: &generator))
            }
            prefix.append(order[step])
        }
        return prefix
    }
    var displaced = DisplacedPositions(capacityFor: count)
    for step in 0..<count {
        let remaining = n - step // > 1 here, since count * 8 ≤ n
        let other = step + Int.random(in: 0..<remaining, using: &generator)
        let atStep = displaced.example(at: step)
        if other == step {
            prefix.append(atStep)
        } else {
            prefix.append(displaced.example(at: other))
            displaced.place(atStep, at: other)
        }
    }
    return prefix
}

/// The positions of a virtual permutation 0..<n that swaps have touched, and the example each now
/// holds; every other position p still holds p.
///
/// Open addressing with linear probing in a power-of-two table kept at most a quarter full (each
/// Fisher–Yates step adds at most one position), indexed by Fibonacci hashing (the top bits of
/// p · 2⁶⁴/φ). Several times faster than `Dictionary` here, which matters because a batch of 128
/// costs only a few hundred look-ups.
struct DisplacedPositions {
    private var positions: [Int] // −1 marks an empty slot
    private var examples: [Int]
    private let shift: UInt64
    private let mask: Int

    init(capacityFor count: Int) {
        var size = 16, bits: UInt64 = 4
        while size < 4 * count { size <<= 1; bits += 1 }
        positions = [Int](repeating: -1, count: size)
        examples = [Int](repeating: 0, count: size)
        shift = 64 - bits
        mask = size - 1
    }

    @inline(__always)
    private func slot(of position: Int) -> Int {
        var slot = Int(truncatingIfNeeded: (UInt64(truncatingIfNeeded: position) &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while positions[slot] != -1 && positions[slot] != position { slot = (slot + 1) & mask }
        return slot
    }

    /// The example at `position`.
    func example(at position: Int) -> Int {
        let slot = slot(of: position)
        return positions[slot] == position ? examples[slot] : position
    }

    /// Puts `example` at `position`.
    mutating func place(_ example: Int, at position: Int) {
        let slot = slot(of: position)
        positions[slot] = position
        examples[slot] = example
    }
}
