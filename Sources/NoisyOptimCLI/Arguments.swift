// Arguments: a small option scanner (`--name value`, `--name=value`, flags) with typed readers
// whose errors name the option and the values it accepts.

/// One option a command accepts.
struct OptionSpec {
    /// The name without dashes: "lr" for `--lr`.
    let name: String
    /// The value's placeholder in the help ("X", "FILE"); nil for a flag.
    let value: String?
    /// One line of help, which also says what values are accepted.
    let help: String
}

/// The options and positional arguments of one command line, checked against a list of specs.
struct Arguments {
    private(set) var values: [String: String] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []
    let specs: [OptionSpec]

    /// Scans `arguments`. Unknown options and options without their value are usage errors.
    init(_ arguments: [String], specs: [OptionSpec]) throws {
        self.specs = specs
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                if argument.hasPrefix("-") && argument.count > 1 && Double(argument) == nil {
                    throw CommandLineError.usage("unknown option '\(argument)'; options start with -- (see --help)")
                }
                positionals.append(argument)
                continue
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String? = nil
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let spec = specs.first(where: { $0.name == name }) else {
                throw CommandLineError.usage("unknown option '--\(name)'" + Arguments.suggestion(for: name, among: specs.map(\.name)))
            }
            if let placeholder = spec.value {
                if let inlineValue {
                    values[name] = inlineValue
                } else if index < arguments.count, !(arguments[index].hasPrefix("--")) {
                    values[name] = arguments[index]
                    index += 1
                } else {
                    throw CommandLineError.usage("--\(name) needs a value \(placeholder): \(spec.help)")
                }
            } else {
                guard inlineValue == nil else { throw CommandLineError.usage("--\(name) is a flag and takes no value") }
                flags.insert(name)
            }
        }
    }

    /// "; did you mean --x?" for the known name closest to `name`, or the list of options.
    static func suggestion(for name: String, among names: [String]) -> String {
        func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a), b = Array(b)
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var previous = row[0]
                row[0] = i
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    let current = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = current
                }
            }
            return row[b.count]
        }
        if let best = names.min(by: { distance(name, $0) < distance(name, $1) }), distance(name, best) <= max(2, name.count / 3) {
            return "; did you mean --\(best)?"
        }
        return "; the options are " + names.map { "--" + $0 }.joined(separator: ", ")
    }

    func has(_ name: String) -> Bool { values[name] != nil || flags.contains(name) }

    func string(_ name: String) -> String? { values[name] }

    private func bad(_ name: String, _ value: String, _ accepted: String) -> CommandLineError {
        .usage("--\(name): '\(value)' is not accepted; expected \(accepted)")
    }

    /// An integer in `range`, or nil when the option is absent.
    func int(_ name: String, in range: ClosedRange<Int>, _ accepted: String) throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text), range.contains(value) else { throw bad(name, text, accepted) }
        return value
    }

    /// A finite number satisfying `valid`, checked in Float32 (the precision the kernels use), or
    /// nil when the option is absent.
    func double(_ name: String, _ accepted: String, valid: (Double) -> Bool) throws -> Double? {
        guard let text = values[name] else { return nil }
        guard let value = Arguments.number(text), valid(value) else { throw bad(name, text, accepted) }
        return value
    }

    /// A finite number whose Float32 rounding is finite too.
    static func number(_ text: String) -> Double? {
        guard let value = Double(text), value.isFinite, Float(value).isFinite else { return nil }
        return value
    }

    /// One of `choices`, or nil when the option is absent.
    func choice(_ name: String, _ choices: [String]) throws -> String? {
        guard let text = values[name] else { return nil }
        guard choices.contains(text) else { throw bad(name, text, "one of " + choices.joined(separator: ", ")) }
        return text
    }

    /// The help lines of the specs, aligned.
    static func helpLines(_ specs: [OptionSpec]) -> String {
        let heads = specs.map { "--" + $0.name + ($0.value.map { " " + $0 } ?? "") }
        let width = (heads.map(\.count).max() ?? 0) + 2
        return zip(heads, specs).map { head, spec in
            "  " + head.padding(toLength: width, withPad: " ", startingAt: 0) + spec.help
        }.joined(separator: "\n")
    }
}
