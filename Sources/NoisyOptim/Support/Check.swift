// Check: the library's stop-with-a-message for API misuse, printed in release builds too.
//
// Swift's `precondition` drops its message under -O (the process stops with SIGILL and no text),
// and release is how users build. `check` and `fail` go through `fatalError`, whose message is
// printed in every build mode but -Ounchecked. Internal invariants that only a library bug can
// break stay `assert`s.

/// Stops with `message` (naming the offending values) unless `condition` holds; the message is
/// printed in debug and release builds alike. For misuse a caller can trigger: a shape mismatch,
/// an index out of range, a state that does not fit.
@inline(__always)
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
           file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fail(message(), file: file, line: line) }
}

/// Stops with `message`, printed in debug and release builds alike. Out of line, so the
/// message's construction never weighs on the caller's fast path.
@inline(never)
func fail(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError(message(), file: file, line: line)
}
